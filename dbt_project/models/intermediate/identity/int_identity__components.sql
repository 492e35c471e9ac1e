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
-#}
{%- set rounds = project_var('identity_max_iterations') -%}
{#-
  A node's own label: carried over from its previous round (DuckDB, PostgreSQL), so a round joins only the
  identifier edges, a third fewer rows than with the self edges. On Spark, which inlines every CTE, a round
  reads the previous labels once, through the self edges (identifier_num = -node_num), which keep each
  node's label (macro identity_carries_own_label, macros/common/adapter_dispatch.sql).
-#}
{%- set carry_own_label = identity_carries_own_label() -%}

with

edges as (

    select * from {{ ref('int_identity__graph_edges') }}

),

-- the edges to identifiers (on Spark with the self edges, see above)
identifier_edges as (

    select
        node_num,
        identifier_num
    from edges
    {%- if carry_own_label %}
    where identifier_num > 0
    {%- endif %}

),

nodes as (

    select distinct
        node_num,
        node_key
    from edges

),

labels_0 as (

    select
        node_num,
        node_num as label
    from nodes

),

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

final as (

    select
        nodes.node_key,
        component_nodes.node_key as component_key,
        labels_{{ rounds }}.label = labels_{{ rounds + 1 }}.label as is_converged
    from labels_{{ rounds }}
    inner join labels_{{ rounds + 1 }}
        on labels_{{ rounds }}.node_num = labels_{{ rounds + 1 }}.node_num
    inner join nodes
        on labels_{{ rounds }}.node_num = nodes.node_num
    inner join nodes as component_nodes
        on labels_{{ rounds }}.label = component_nodes.node_num

)

select * from final
