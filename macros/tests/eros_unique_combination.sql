{#- Primary key over several columns: no two rows share the combination, none is NULL.
    (dbt_utils.unique_combination_of_columns without the hub package.) -#}
{% test eros_unique_combination(model, columns) %}

with

keyed as (

    select
        {{ columns | join(', ') }},
        count(*) as copies
    from {{ model }}
    group by {{ columns | join(', ') }}

)

select * from keyed
where
    copies > 1
    {%- for column in columns %}
    or {{ column }} is null
    {%- endfor %}

{% endtest %}
