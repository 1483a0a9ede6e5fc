# gnuplot script for bench/profile.sh: front worker CPU per request
# (plain and graph) and the ratio graph / plain per file size, for one or
# two client_body_buffer_size settings.
# Variables (gnuplot -e): outfile, buf1, dat1, buf2 (may be ''), dat2, title_extra.
# Data columns: size_bytes "label" plain_us graph_us ratio plain_hwm_mib
# graph_hwm_mib plain_p99 graph_p99

set terminal pngcairo size 1200,520 font ",10"
set output outfile
set multiplot layout 1,2 title "graph\\_attach vs plain proxy\\_pass, front worker (".title_extra.")"

set style data linespoints
set grid ytics
set key top left
set xlabel "file size"
set logscale y
set ylabel "front worker CPU per request (µs)"
set title "CPU per request"
if (buf2 ne '') {
    plot dat1 using 0:3:xticlabels(2) title "plain, ".buf1 lw 2 pt 7 lc rgb "#1f77b4", \
         dat1 using 0:4 title "graph, ".buf1 lw 2 pt 5 lc rgb "#d62728", \
         dat2 using 0:3 title "plain, ".buf2 lw 2 pt 6 dt 2 lc rgb "#1f77b4", \
         dat2 using 0:4 title "graph, ".buf2 lw 2 pt 4 dt 2 lc rgb "#d62728"
} else {
    plot dat1 using 0:3:xticlabels(2) title "plain, ".buf1 lw 2 pt 7 lc rgb "#1f77b4", \
         dat1 using 0:4 title "graph, ".buf1 lw 2 pt 5 lc rgb "#d62728"
}

unset logscale y
set yrange [0:*]
set ylabel "graph / plain"
set title "CPU ratio (goal <= 1.5)"
if (buf2 ne '') {
    plot dat1 using 0:5:xticlabels(2) title buf1 lw 2 pt 5 lc rgb "#d62728", \
         dat2 using 0:5 title buf2 lw 2 pt 4 dt 2 lc rgb "#9467bd", \
         1.5 with lines title "goal 1.5" lw 2 dt 3 lc rgb "#2ca02c"
} else {
    plot dat1 using 0:5:xticlabels(2) title buf1 lw 2 pt 5 lc rgb "#d62728", \
         1.5 with lines title "goal 1.5" lw 2 dt 3 lc rgb "#2ca02c"
}
unset multiplot
