{#-
  Building blocks of the caption policy (issue 12): reproducible pseudo-random draws from
  md5 and a gamma draw for Thompson sampling. Only dbt's cross-database macros (dbt.hash,
  dbt.concat) and functions both engines share (ln, sqrt, cos, acos, power), so DuckDB
  and BigQuery give the same draws.
-#}


{#- A uniform draw in (0, 1) from the md5 of `parts` (a list of SQL string expressions,
    joined with '|'): the hex digits [8 * slot + 1, 8 * slot + 8] of the hash read as an
    unsigned 32-bit integer u, then (u + 0.5) / 2^32. slot 0..3 gives up to four
    independent draws from one hash. -#}
{% macro eros_hash_uniform(parts, slot=0) -%}
    {%- set joined = [] -%}
    {%- for part in parts -%}
        {%- do joined.append(part) -%}
        {%- if not loop.last %}{% do joined.append("'|'") %}{% endif -%}
    {%- endfor -%}
    ((cast({{ dbt.concat(["'0x'", "substr(" ~ dbt.hash(dbt.concat(joined)) ~ ", " ~ (8 * slot + 1) ~ ", 8)"]) }} as {{ dbt.type_bigint() }}) + 0.5) / 4294967296.0)
{%- endmacro %}


{#- A standard normal draw from two uniforms in (0, 1) (Box-Muller):
    sqrt(-2 ln u1) * cos(2 pi u2). -#}
{% macro eros_standard_normal(u1, u2) -%}
    (sqrt(-2 * ln({{ u1 }})) * cos(2 * acos(-1) * ({{ u2 }})))
{%- endmacro %}


{#- A draw from Gamma(shape, rate) (mean shape / rate) given a standard normal z and a
    uniform u in (0, 1), by the Wilson-Hilferty cube-root approximation:
      G(a) = a * max(0, 1 - 1 / (9a) + z * sqrt(1 / (9a)))^3;
    for a < 1 the approximation is poor, so G(a) = G(a + 1) * u^(1 / a) (the standard
    boost); divided by rate. -#}
{% macro eros_gamma_draw(shape, rate, z, u) -%}
    (case
        when ({{ shape }}) < 1 then
            ({{ shape }} + 1) * power(greatest(0, 1 - 1 / (9 * ({{ shape }} + 1)) + ({{ z }}) * sqrt(1 / (9 * ({{ shape }} + 1)))), 3)
            * power({{ u }}, 1 / ({{ shape }}))
        else
            ({{ shape }}) * power(greatest(0, 1 - 1 / (9 * ({{ shape }})) + ({{ z }}) * sqrt(1 / (9 * ({{ shape }})))), 3)
    end / ({{ rate }}))
{%- endmacro %}
