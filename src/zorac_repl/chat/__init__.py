"""The chat core: a message's way from the front end to the server and back, for every front end.

It fits the budget, summarizes, asks, retries, edits and saves; a front end gives it only
what a front end knows (how to draw an answer, the keyboard, where lines go).
"""
