"""Issue 18: which ports will fail — features and labels per port and day, the models trained
on an operator's own history, and an evaluation that cannot flatter itself (time splits only,
against the baselines an operator already uses). See docs/charging.md, "Risk prediction"."""
