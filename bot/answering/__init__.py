"""question -> cited Answer: the answering core, shared by every front end.

conversation.py     one conversation turn: memory, answer, record, what to say (every front end)
chain.py            answer_chain, the one Runnable: clean, condense, retrieve, refusal gate, answer,
                    each step a function over a typed state (Asked, Understood, Retrieved, Gated)
chain_states.py     what flows through it: its input, its setup, each step's state, its outcome
service.py          AnswerService, the façade over it: run config, streaming, help text
retrieval.py        ChunkRetriever, a LangChain retriever running the steps of
retrieval_steps.py  gather candidates, drop the future, fuse, recency, space, widen
relevance.py        the one relevance formula (cosine + word overlap) and the cosine
extractive.py       the default answerer: cited sentences of the passages, no LLM
llm.py              any LangChain chat model, held to the passages it was given
claims.py           each sentence of an LLM answer checked against the passage it cites
rerank.py           an optional cross-encoder over the fused candidates
followups.py        standalone follow-up questions without an LLM
prompts.py          the prompt templates, validated and versioned
answers.py          what an Answer and a Citation are

It imports only `index` and its own modules: no Telegram, no CLI, no Settings
(tests/test_layout.py checks).
"""
