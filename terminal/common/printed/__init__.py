"""The written record as an inspector asks for it: the neutral shape of a printed day
(:mod:`.rows`), its words in Chinese and English (:mod:`.words`), and what is made of it: the CSV
(:mod:`.table`), the printable page (:mod:`.page`) and its PDF (:mod:`.pdf`). The gate fills it
from its record, the centre from its store."""
