"""Airflow triggers for TikTok (deferrable waits). Imports Airflow, like hooks/ and sensors/."""
