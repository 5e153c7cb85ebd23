"""Coaching a deal: the interview, the advice, the brief and the conditions they test.

Built on the deals and the knowledge base; the representative deals check the advice.
"""
