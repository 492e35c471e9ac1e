{#-
  The identity graph as a bipartite edge list between nodes (records, numbered) and identifiers (numbered).
  Only identifiers that can link two nodes are kept: shared by 2..identity_max_records_per_identifier nodes
  (more than that is a junk value such as a shop's own phone number, and would merge strangers). Each node
  also gets a self edge (identifier_num = -node_num), so that a node with no linking identifier is listed too.

  Where int_identity__components keeps state (every adapter but Spark), each identifier edge also carries
  identifier_hash, a 64-bit hash of the identifier's type and value: unlike identifier_num it does not depend on
  the other rows, so a node's sum of them tells whether its edges changed since the last run.
-#}
{%- set max_nodes = project_var('identity_max_records_per_identifier') -%}
{%- set keeps_state = incremental_materialization() == 'incremental' -%}

with

record_identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}

),

nodes as (

    select
        node_key,
        row_number() over (order by {{ byte_order('node_key') }}) as node_num
    from (select distinct node_key from record_identifiers) as distinct_nodes

),

identifier_usage as (

    select
        identifier_type,
        identifier_value,
        count(distinct node_key) as node_count
    from record_identifiers
    where identifier_value is not null
    group by identifier_type, identifier_value

),

linking_identifiers as (

    select
        identifier_type,
        identifier_value,
        row_number() over (order by identifier_type, identifier_value) as identifier_num{{ ',' if keeps_state }}
        {%- if keeps_state %}
        {{ row_fingerprint(['identifier_type', 'identifier_value']) }} as identifier_hash
        {%- endif %}
    from identifier_usage
    where node_count between 2 and {{ max_nodes }}

),

identifier_edges as (

    select distinct
        nodes.node_num,
        linking_identifiers.identifier_num{{ ',' if keeps_state }}
        {%- if keeps_state %}
        linking_identifiers.identifier_hash
        {%- endif %}
    from record_identifiers
    inner join nodes
        on record_identifiers.node_key = nodes.node_key
    inner join linking_identifiers
        on record_identifiers.identifier_type = linking_identifiers.identifier_type
        and record_identifiers.identifier_value = linking_identifiers.identifier_value

),

self_edges as (

    select
        node_num,
        -node_num as identifier_num{{ ',' if keeps_state }}
        {%- if keeps_state %}
        cast(null as {{ row_fingerprint_type() }}) as identifier_hash
        {%- endif %}
    from nodes

),

final as (

    select
        nodes.node_key,
        edges.node_num,
        edges.identifier_num{{ ',' if keeps_state }}
        {%- if keeps_state %}
        edges.identifier_hash
        {%- endif %}
    from (
        select * from identifier_edges
        union all
        select * from self_edges
    ) as edges
    inner join nodes
        on edges.node_num = nodes.node_num

)

select * from final
