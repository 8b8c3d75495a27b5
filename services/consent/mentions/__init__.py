"""What the declarant is shown: the legal mentions, the natures catalogue and the accepted proofs."""
