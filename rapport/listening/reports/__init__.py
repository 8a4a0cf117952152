"""Read-side figures of listening for the dashboard, the reports and the API: aggregated in SQL, scoped to
who asks. Company-wide figures (sentiment, surveys per team, mentions) are for every role with
LISTENING_VIEW; figures per agent follow ``surveys.sees_every_agent``."""
