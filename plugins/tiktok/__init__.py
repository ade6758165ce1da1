"""Everything TikTok-specific: API client, errors, retries, idempotent writes, extraction, Airflow hook.

Importing ``tiktok`` or ``tiktok.api`` never imports Airflow; only ``tiktok.hooks`` does.
"""
