-- Reconcile the decisions with the outbox: a change the change log calls applied must have gone out
-- through an outbox intent that settled DONE (recorded before sending, confirmed after).
select decision_id, outcome, intent_id, intent_state
from {{ ref('fct_decisions') }}
where outcome = 'applied'
  and (intent_id is null or intent_state is null or intent_state <> 'DONE')
