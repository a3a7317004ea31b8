"""The broker's worklist: who to match, who has drifted away, who never got started."""
