"""Text: reading files into article text (decoding, HTML and PDF extraction, site chrome removed, metadata),
sentences and passages with exact character offsets, dates named in text, and word normalisation.

Pure functions over strings and files; it may import only `app.core`."""
