# bench/chart.gp: thanos-fcgi / native ratios per front server (and, for
# nginx, / the proxy_pass chain: as many hops as the adapter), one bar per
# answer.  bench/run calls it as
#   gnuplot -e "datafile='chart.dat'; outfile='results.svg'" bench/chart.gp
# datafile: a comment line "# label small 1m prom", then one line per pair:
#   "nginx fastcgi_pass" 0.62 1.10 0.97
#   "nginx / chain" 0.85 1.50 1.10

if (!exists("datafile")) datafile = 'chart.dat'
if (!exists("outfile")) outfile = 'results.svg'

stats datafile using 2 nooutput
N = STATS_records

set terminal svg size 960,520 dynamic font "sans,12" background rgb "white"
set output outfile
set termoption noenhanced
set title "thanos-fcgi / native proxy module or proxy_pass chain (same run; 1.0 = as fast)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.9
set key outside bottom center horizontal
set bmargin 5
set ylabel "ratio"
set yrange [0:1.2<*]
set xrange [-0.5:N - 0.5]
set grid ytics lc rgb "#dddddd"
set xtics nomirror
set ytics nomirror
set border 3
# 1.0: as fast as the native module; 0.7: the target for small answers
# (issue 6); 0.9: the target for small answers against the chain (issue 12)
set arrow 1 from graph 0, first 1.0 to graph 1, first 1.0 nohead front lc rgb "#222222" lw 1.5
set arrow 2 from graph 0, first 0.7 to graph 1, first 0.7 nohead front lc rgb "#aa3333" dt 2 lw 1
set label 1 "target, small: 0.70" at graph 0.01, first 0.73 tc rgb "#aa3333" font ",10" front
set label 2 "1.0: as fast as native" at graph 0.01, first 1.03 tc rgb "#222222" font ",10" front
set arrow 3 from graph 0, first 0.9 to graph 1, first 0.9 nohead front lc rgb "#aa7733" dt 3 lw 1
set label 3 "target, small vs chain: 0.90" at graph 0.99, first 0.93 right tc rgb "#aa7733" font ",10" front

plot datafile using 2:xtic(1) title "small answer (req/s)" lc rgb "#4c72b0", \
     ''       using 3 title "1 MiB answer (MiB/s)" lc rgb "#55a868", \
     ''       using 4 title "Prometheus query (req/s)" lc rgb "#c44e52"
