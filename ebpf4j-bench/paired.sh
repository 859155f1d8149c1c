# Shared by run-mapbench and run-eventbench (sourced, not run): the arithmetic of paired mode. In a paired JMH
# run, PairedC.java has each C harness work for one slice before every JMH iteration and once after the last;
# Java's measured iteration i is compared with the mean of the C slices just before and just after it.

# paired_java_iterations LOG: Java's measured iterations from a JMH log, as "<benchmark method> <index> <value>".
paired_java_iterations() {
    awk '/^# Benchmark: / { b = $3; sub(/.*\./, "", b); i = 0 }
         /^Iteration +[0-9]+: / { print b, i++, $3 }' "$1"
}

# paired_ratios NAME JAVA_TXT PAIRS_FILE higher|lower: one line "<NAME> <side> <ratio>" per measured Java
# iteration of benchmark NAME, as Java's speed over C's (values where higher is better divide Java by C; times,
# where lower is better, the other way round).
paired_ratios() {
    awk -v b="$1" -v dir="$4" 'FNR == NR { if ($1 == b) java[$2] = $3; next }
         $2 == "measurement" { c[$1, $3] = $4; sides[$1] = 1 }
         END { for (s in sides) for (i = 0; (i in java); i++)
                   if ((s, i) in c && (s, i + 1) in c) {
                       cm = (c[s, i] + c[s, i + 1]) / 2
                       print b, s, (dir == "lower" ? cm / java[i] : java[i] / cm)
                   } }' "$2" "$3"
}

# paired_summary: reads ratios, prints "n median low high": the median and a distribution-free 95% interval for
# it, order statistics k and n+1-k with k the largest such that P(Binomial(n, 1/2) <= k-1) <= 0.025
# ("-" when n is too small for one).
paired_summary() {
    sort -g | awk '{ v[NR] = $1 } END {
        n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
        k = 0; cdf = 0
        for (j = 0; j < n; j++) {
            lp = 0; for (t = 1; t <= j; t++) lp += log(n - j + t) - log(t)
            cdf += exp(lp - n * log(2))
            if (cdf > 0.025) break
            k = j + 1
        }
        if (k < 1) printf "%d %.3f - -\n", n, med; else printf "%d %.3f %.3f %.3f\n", n, med, v[k], v[n + 1 - k]
    }'
}

# paired_table PAIRS_FILE SIDES BENCH:TARGET...: the verdict table over all pooled ratios.
paired_table() {
    local pairs=$1 sides=$2
    shift 2
    printf '%-13s %-5s %6s %8s %17s %8s  %s\n' benchmark vs pairs median '95% interval' target verdict
    for spec in "$@"; do
        local b=${spec%%:*} target=${spec#*:}
        for side in $sides; do
            awk -v b="$b" -v s="$side" '$1 == b && $2 == s { print $3 }' "$pairs" | paired_summary | \
                awk -v b="$b" -v s="$side" -v t="$target" '{
                    if ($3 == "-") verdict = "too few pairs for an interval"
                    else if ($3 + 0 >= t) verdict = "met (the whole interval is >= " t ")"
                    else if ($4 + 0 < t) verdict = "NOT met (the whole interval is < " t ")"
                    else verdict = ($2 >= t ? "met by the median, interval straddles " t : "NOT met by the median, interval straddles " t)
                    printf "%-13s %-5s %6d %8.3f %8s..%-7s %8s  %s\n", b, s, $1, $2, $3, $4, ">= " t, verdict }'
        done
    done
}

# paired_round_tag ROUND PAIRS_FILE LINES_BEFORE ROUND_PAIRS: copies the lines a round added to PAIRS_FILE (after
# its first LINES_BEFORE) to ROUND_PAIRS, prefixed with the round number.
paired_round_tag() {
    awk -v r="$1" -v n0="$3" 'NR > n0 { print r, $0 }' "$2" >>"$4"
}

# paired_round_medians ROUND_PAIRS BENCH SIDE: the median ratio of each round in turn, one per line.
paired_round_medians() {
    local file=$1 b=$2 side=$3 r
    for r in $(awk -v b="$b" -v s="$side" '$2 == b && $3 == s && !seen[$1]++ { print $1 }' "$file"); do
        awk -v r="$r" -v b="$b" -v s="$side" '$1 == r && $2 == b && $3 == s { print $4 }' "$file" |
            paired_summary | awk '{ printf "%.3f\n", $2 }'
    done
}

# paired_rounds ROUND_PAIRS SIDES: for each benchmark and side, the median ratio of each round in turn, so that
# a round that stands apart from the others shows.
paired_rounds() {
    local file=$1 sides=$2 b side
    for b in $(awk '!seen[$2]++ { print $2 }' "$file"); do
        for side in $sides; do
            printf '%-13s %-5s %s\n' "$b" "$side" "$(paired_round_medians "$file" "$b" "$side" | paste -sd' ' -)"
        done
    done
}

# paired_round_spread ROUND_PAIRS SIDES: for each benchmark and side, the median of the round medians and their
# range. Pairs within a round share one JVM and one C process each, and a process's speed depends on where its
# memory and code happened to land (a few percent either way here), so the rounds, not the pairs, are the
# independent samples: this is the figure to trust when the rounds disagree.
paired_round_spread() {
    local file=$1 sides=$2 b side
    printf '%-13s %-5s %6s %8s %17s\n' benchmark vs rounds median 'lowest..highest'
    for b in $(awk '!seen[$2]++ { print $2 }' "$file"); do
        for side in $sides; do
            paired_round_medians "$file" "$b" "$side" | sort -g | awk -v b="$b" -v s="$side" '{ v[NR] = $1 } END {
                if (NR == 0) exit
                med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%-13s %-5s %6d %8.3f %8.3f..%-7.3f\n", b, s, NR, med, v[1], v[NR] }'
        done
    done
}
