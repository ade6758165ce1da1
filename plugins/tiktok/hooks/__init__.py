"""Airflow adapters for TikTok. The only place in ``tiktok`` that imports Airflow."""
