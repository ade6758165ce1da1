"""Airflow sensors for TikTok. Imports Airflow, like hooks/ and triggers/."""
