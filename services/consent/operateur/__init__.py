"""Operator review (`operateur`): the queue of submitted declarations, proofs, accept or reject."""
