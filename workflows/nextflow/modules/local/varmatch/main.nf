process VARMATCH {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../../environment.yml"
    // image built from the repository's Dockerfile: docker build -t varmatch:0.1.0 .
    container "${ workflow.containerEngine == 'singularity' && !task.ext.singularity_pull_docker_container ?
        'docker://varmatch:0.1.0' :
        'varmatch:0.1.0' }"

    input:
    tuple val(meta), path(vcf)

    output:
    tuple val(meta), path("*.varmatch.json"), emit: json
    tuple val(meta), path("*.varmatch.tsv") , emit: tsv
    tuple val(meta), path("*.varmatch.html"), emit: html, optional: true
    path "versions.yml"                     , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args   = task.ext.args ?: ''
    def prefix = task.ext.prefix ?: "${meta.id}"
    def tumor  = meta.tumor_type ? "--tumor-type ${meta.tumor_type}" : ''
    """
    # --name: files and the report's sample column carry the prefix (the samplesheet name),
    # so a cohort summary of the emitted JSON files uses the same names as the Snakemake route
    varmatch \\
        --log-format json \\
        run \\
        $vcf \\
        $tumor \\
        --name ${prefix} \\
        --out . \\
        $args

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        varmatch: \$(varmatch --version 2>&1 | sed 's/^.*version //')
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo '{}' > ${prefix}.varmatch.json
    touch ${prefix}.varmatch.tsv

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        varmatch: \$(varmatch --version 2>&1 | sed 's/^.*version //')
    END_VERSIONS
    """
}
