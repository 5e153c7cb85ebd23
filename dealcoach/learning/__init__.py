"""Learning the job: concepts explained, applied to a deal, and quizzes."""
