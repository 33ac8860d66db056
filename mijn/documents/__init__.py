"""Documents on a dossier: their rows, where their bytes are kept (store), what they are
(sniff), whether they were scanned, and who may read them."""
