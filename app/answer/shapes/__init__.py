"""How each kind of question is answered (why/how, who-is, said, yes/no, overview) and how an answer is composed
from the chosen sentences. Uses question and reader (never news, llm or grounding)."""
