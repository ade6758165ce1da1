{#-
    Expected columns of the control plane's records in the adops_platform dataset (loaded by
    adops.platform_load). JSON columns arrive as JSON text. `current` and `at` are reserved words in
    BigQuery, so they are quoted (see staged_source).
-#}
{% macro _quoted(columns, names) -%}
    {%- set out = [] -%}
    {%- for column in columns -%}
        {%- do out.append({'name': column.name, 'datatype': column.datatype, 'quote': column.name in names}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro get_plans_columns() -%}
    {{ return(adops._cols([('plan_id', 'string'), ('channel', 'string'), ('account_id', 'string'),
                           ('action', 'string'), ('status', 'string'), ('payload', 'string'),
                           ('outcome', 'string'), ('created_at', 'timestamp'), ('updated_at', 'timestamp')])) }}
{%- endmacro %}

{% macro get_change_log_columns() -%}
    {{ return(adops._quoted(adops._cols([
        ('id', 'bigint'), ('plan_id', 'string'), ('account_id', 'string'), ('level', 'string'),
        ('entity_id', 'string'), ('kind', 'string'), ('at', 'timestamp'), ('current', 'string'),
        ('proposed', 'string'), ('reason', 'string'), ('verdict', 'string'), ('verdict_reasons', 'string'),
        ('outcome', 'string'), ('detail', 'string'), ('approval_id', 'bigint'), ('created_at', 'timestamp'),
        ('updated_at', 'timestamp')]), ['at', 'current'])) }}
{%- endmacro %}

{% macro get_approvals_columns() -%}
    {{ return(adops._cols([
        ('id', 'bigint'), ('plan_id', 'string'), ('account_id', 'string'), ('level', 'string'),
        ('entity_id', 'string'), ('kind', 'string'), ('change', 'string'), ('reasons', 'string'),
        ('what_if', 'string'), ('status', 'string'), ('requested_at', 'timestamp'), ('decided_by', 'string'),
        ('decided_at', 'timestamp'), ('note', 'string'), ('outcome', 'string')])) }}
{%- endmacro %}

{% macro get_outbox_intents_columns() -%}
    {{ return(adops._cols([
        ('id', 'bigint'), ('external_ref', 'string'), ('idempotency_key', 'string'), ('tenant', 'string'),
        ('channel', 'string'), ('account_id', 'string'), ('plan_id', 'string'), ('object_id', 'string'),
        ('action', 'string'), ('payload', 'string'), ('state', 'string'), ('remote_id', 'string'),
        ('request_id', 'string'), ('attempts', 'bigint'), ('unknown_since', 'timestamp'),
        ('last_error', 'string'), ('created_at', 'timestamp'), ('updated_at', 'timestamp')])) }}
{%- endmacro %}

{% macro get_outbox_events_columns() -%}
    {{ return(adops._quoted(adops._cols([
        ('id', 'bigint'), ('intent_id', 'bigint'), ('at', 'timestamp'), ('kind', 'string'), ('state', 'string'),
        ('worker', 'string'), ('detail', 'string')]), ['at'])) }}
{%- endmacro %}
