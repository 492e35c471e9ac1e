{#-
  Connected components of the identity graph by min-label propagation, unrolled for
  var('identity_max_iterations') rounds (default 12).

  Why not a recursive CTE: a recursive CTE cannot aggregate (min) inside the recursive term on PostgreSQL,
  so it has to enumerate every (node, reachable node) pair, which is quadratic in component size and can
  blow up on big merged components; engines also differ in recursion support. Unrolled rounds are plain
  joins and group-bys over int_identity__graph_edges (a table, scanned twice a round), cost
  O(rounds x edges), and run the same on every adapter; 1M records are a few seconds a round on DuckDB.

  Each round: every identifier takes the smallest label of its nodes, then every node the smallest label of
  its identifiers, or keeps its own when that is smaller. After k rounds a node knows the smallest node within
  k identifier hops, so the rounds needed equal the longest shortest chain of a component; one extra round
  computes is_converged, and a data test fails when any label would still change (raise the var then).

  component_key is the smallest node_key of the component, so the contact id built from it does not depend
  on numbering, run order or unrelated rows.

  Incremental by component (docs/incremental.md; every adapter but Spark, where it is a table). Each row keeps
  the sum of the identifier hashes of its node's edges (_edges_fingerprint, see int_identity__graph_edges). A
  node whose sum differs is new, changed or gone; the stored components holding such a node are recomputed,
  all their nodes, and every other stored component, whose nodes' edges are all unchanged, is still connected
  and can only merge: where it shares an identifier with a recomputed node it takes part as ONE node, labelled
  with its stored component_key. Propagation then runs on that small graph, and its result equals a full
  refresh (contracting a connected part only shortens paths, so it converges whenever the full graph would).
  Rows are replaced per node (strategy replace_records; a gone node leaves a marker row with a null
  component_key). _changed_at is the run that last changed the node's component_key. Changing
  identity_max_iterations (part of _config_key) recomputes every node.
-#}
{%- set rounds = project_var('identity_max_iterations') -%}
{#-
  A node's own label: carried over from its previous round (DuckDB, PostgreSQL), so a round joins only the
  identifier edges, a third fewer rows than with the self edges. On Spark, which inlines every CTE, a round
  reads the previous labels once, through the self edges (identifier_num = -node_num), which keep each
  node's label (macro identity_carries_own_label, macros/common/adapter_dispatch.sql).
-#}
{%- set carry_own_label = identity_carries_own_label() -%}
{%- set keeps_state = incremental_materialization() == 'incremental' and carry_own_label -%}
{%- set config_key = local_md5(tojson({'identity_max_iterations': rounds}, sort_keys=True)) -%}
{{ config(
    materialized='incremental' if keeps_state else 'table',
    unique_key=['node_key'],
    incremental_strategy='replace_records',
    replace_marker_column='component_key',
    on_schema_change='append_new_columns'
) }}
{%- set incremental = keeps_state and incremental_target_is_current(
    ['_edges_fingerprint', '_changed_at', '_config_key'], config_key=config_key) -%}

with

edges as (

    select * from {{ ref('int_identity__graph_edges') }}

),

-- the edges to identifiers (on Spark with the self edges, see above)
all_identifier_edges as (

    select
        node_num,
        identifier_num
    from edges
    {%- if carry_own_label %}
    where identifier_num > 0
    {%- endif %}

),

{% if keeps_state %}
-- every node (each has a self edge) with the sum of its identifier edges' hashes
nodes as (

    select
        node_num,
        node_key,
        coalesce(sum(identifier_hash), 0) as edges_fingerprint
    from edges
    group by node_num, node_key

),
{% else %}
nodes as (

    select distinct
        node_num,
        node_key
    from edges

),
{% endif %}

{% if incremental %}
stored as (

    select
        node_key,
        component_key,
        _edges_fingerprint,
        _changed_at
    from {{ this }}

),

-- nodes that are new, gone, or whose edges changed
changed_nodes as (

    select
        coalesce(nodes.node_key, stored.node_key) as node_key,
        stored.component_key as stored_component_key,
        nodes.node_key is null as is_gone
    from nodes
    full outer join stored
        on nodes.node_key = stored.node_key
    where nodes.node_key is null
        or stored.node_key is null
        or nodes.edges_fingerprint <> stored._edges_fingerprint

),

-- the stored components to recompute
changed_components as (

    select distinct stored_component_key as component_key
    from changed_nodes
    where stored_component_key is not null

),

-- every node with its stored component, and whether it is recomputed (new, or its component changed)
node_state as (

    select
        nodes.node_num,
        nodes.node_key,
        nodes.edges_fingerprint,
        stored.component_key as stored_component_key,
        stored._changed_at as stored_changed_at,
        stored.node_key is null or changed_components.component_key is not null as is_recomputed
    from nodes
    left join stored
        on nodes.node_key = stored.node_key
    left join changed_components
        on stored.component_key = changed_components.component_key

),

recomputed_edges as (

    select
        all_identifier_edges.node_num,
        all_identifier_edges.identifier_num
    from all_identifier_edges
    inner join node_state
        on all_identifier_edges.node_num = node_state.node_num
    where node_state.is_recomputed

),

-- unchanged components sharing an identifier with a recomputed node: each takes part as one node, numbered
-- minus its key's node_num and labelled with it (a component's nodes all keep their edges, so they stay
-- connected; such a component can only merge)
neighbour_edges as (

    select distinct
        -key_nodes.node_num as node_num,
        all_identifier_edges.identifier_num
    from all_identifier_edges
    inner join (select distinct identifier_num from recomputed_edges) as touched
        on all_identifier_edges.identifier_num = touched.identifier_num
    inner join node_state
        on all_identifier_edges.node_num = node_state.node_num
    inner join nodes as key_nodes
        on node_state.stored_component_key = key_nodes.node_key
    where not node_state.is_recomputed

),

identifier_edges as (

    select * from recomputed_edges
    union all
    select * from neighbour_edges

),

labels_0 as (

    select
        node_num,
        node_num as label
    from node_state
    where is_recomputed
    union all
    select distinct
        node_num,
        -node_num as label
    from neighbour_edges

),
{% else %}
identifier_edges as (

    select * from all_identifier_edges

),

labels_0 as (

    select
        node_num,
        node_num as label
    from nodes

),
{% endif %}

{% for i in range(1, rounds + 2) %}
identifier_labels_{{ i }} as (

    select
        identifier_edges.identifier_num,
        min(labels_{{ i - 1 }}.label) as label
    from identifier_edges
    inner join labels_{{ i - 1 }}
        on identifier_edges.node_num = labels_{{ i - 1 }}.node_num
    group by identifier_edges.identifier_num

),

linked_labels_{{ i }} as (

    select
        identifier_edges.node_num,
        min(identifier_labels_{{ i }}.label) as label
    from identifier_edges
    inner join identifier_labels_{{ i }}
        on identifier_edges.identifier_num = identifier_labels_{{ i }}.identifier_num
    group by identifier_edges.node_num

),

labels_{{ i }} as (

    {%- if carry_own_label %}
    select
        labels_{{ i - 1 }}.node_num,
        case
            when linked_labels_{{ i }}.label < labels_{{ i - 1 }}.label then linked_labels_{{ i }}.label
            else labels_{{ i - 1 }}.label
        end as label
    from labels_{{ i - 1 }}
    left join linked_labels_{{ i }}
        on labels_{{ i - 1 }}.node_num = linked_labels_{{ i }}.node_num
    {%- else %}
    select
        node_num,
        label
    from linked_labels_{{ i }}
    {%- endif %}

),

{% endfor %}

propagated as (

    select
        labels_{{ rounds }}.node_num,
        component_nodes.node_key as component_key,
        labels_{{ rounds }}.label = labels_{{ rounds + 1 }}.label as is_converged
    from labels_{{ rounds }}
    inner join labels_{{ rounds + 1 }}
        on labels_{{ rounds }}.node_num = labels_{{ rounds + 1 }}.node_num
    inner join nodes as component_nodes
        on labels_{{ rounds }}.label = component_nodes.node_num

),

{% if incremental %}
-- the recomputed nodes, and the nodes of merged neighbour components whose key changed
new_rows as (

    select
        node_state.node_key,
        propagated.component_key,
        propagated.is_converged,
        node_state.edges_fingerprint,
        node_state.stored_component_key,
        node_state.stored_changed_at
    from node_state
    inner join propagated
        on node_state.node_num = propagated.node_num
    where node_state.is_recomputed
    union all
    select
        node_state.node_key,
        propagated.component_key,
        propagated.is_converged,
        node_state.edges_fingerprint,
        node_state.stored_component_key,
        node_state.stored_changed_at
    from node_state
    inner join nodes as key_nodes
        on node_state.stored_component_key = key_nodes.node_key
    inner join propagated
        on -key_nodes.node_num = propagated.node_num
    where not node_state.is_recomputed
        and propagated.component_key <> node_state.stored_component_key

),

node_rows as (

    select
        node_key,
        component_key,
        is_converged,
        edges_fingerprint as _edges_fingerprint,
        case
            when component_key = stored_component_key then stored_changed_at
            else {{ lifecycle_run_time() }}
        end as _changed_at
    from new_rows

),

-- gone nodes: their stored rows are deleted
marker_nodes as (

    select node_key
    from changed_nodes
    where is_gone

),
{% else %}
node_rows as (

    select
        nodes.node_key,
        propagated.component_key,
        propagated.is_converged{{ ',' if keeps_state }}
        {%- if keeps_state %}
        nodes.edges_fingerprint as _edges_fingerprint,
        {{ lifecycle_run_time() }} as _changed_at
        {%- endif %}
    from propagated
    inner join nodes
        on propagated.node_num = nodes.node_num

),
{%- if keeps_state and this is not none and is_incremental() %}

-- a table from an earlier version or another configuration: every stored node (all are recomputed, and the
-- gone ones deleted)
marker_nodes as (

    select node_key
    from {{ this }}

),
{%- endif %}
{% endif %}

final as (

    {%- if keeps_state %}
    select
        *,
        cast('{{ config_key }}' as {{ dbt.type_string() }}) as _config_key
    from node_rows
    {%- if this is not none and is_incremental() %}
    union all
    -- a marker row (component_key null): replace_records deletes the node's stored row and inserts nothing
    select
        node_key,
        cast(null as {{ dbt.type_string() }}) as component_key,
        cast(null as {{ dbt.type_boolean() }}) as is_converged,
        null as _edges_fingerprint,
        cast(null as {{ dbt.type_timestamp() }}) as _changed_at,
        cast(null as {{ dbt.type_string() }}) as _config_key
    from marker_nodes
    {%- endif %}
    {%- else %}
    select * from node_rows
    {%- endif %}

)

select * from final
