"""Text primitives shared by ingest, retrieval and answers: words, sentences, tokens, hashes."""
