$cdf_kamailio << EOD
0.987 0.30103
22.675 2
513.802 3


0.979 0.30103
20.054 2
513.802 3


EOD
$p_kamailio << EOD
250 0.204 1.073 4.882
500 0.251 1.073 2.834
1000 0.251 1.139 2.114
1500 0.301 0.709 1.548
2000 0.432 1.696 8.585
3000 0.651 15.532 22.675
4000 1.012 58.458 505.414
5000 20.054 3506.44 3506.44
6000 0.987 22.675 513.802
8000 522.191 4009.76 4043.31
10000 1027.6 4043.31 4664.07
EOD
$cdf_siplb << EOD
0.119 0.30103
0.561 2
0.856 3


0.098 0.30103
0.444 2
0.741 3


EOD
$p_siplb << EOD
250 0.051 2.605 3.654
500 0.048 2.474 3.293
1000 0.042 1.352 4.08
1500 0.052 2.703 3.981
2000 0.064 6.324 8.29
3000 0.078 6.455 8.454
4000 0.106 0.627 1.958
5000 0.105 0.954 1.532
6000 0.119 0.561 0.856
8000 0.198 0.963 3.326
10000 0.198 5.734 8.585
12000 0.208 2.834 35.389
16000 0.313 0.913 1.303
20000 1.663 513.802 1518.34
25000 2.54 1518.34 3506.44
32000 7.438 3506.44 4043.31
EOD

set multiplot layout 1,2 title "Latency, stateless: left, CDF at 6000 calls/s offered (the highest rate both passed); right, INVITE→200 per offered rate"
set logscale x
set grid
set xlabel "latency (ms)"
set ylabel "percentile of calls (log scale of 1 - p)"
set ytics ("p50" 0.30103, "p90" 1, "p99" 2, "p99.9" 3)
set yrange [0:3.3]
set key bottom right
plot $cdf_kamailio index 0 using 1:2 with linespoints pt 7 lc rgb "#d95f02" title "Kamailio INVITE→200", \
     $cdf_kamailio index 1 using 1:2 with linespoints pt 6 dt 2 lc rgb "#d95f02" title "Kamailio BYE→200", \
     $cdf_siplb index 0 using 1:2 with linespoints pt 5 lc rgb "#1b9e77" title "siplb INVITE→200", \
     $cdf_siplb index 1 using 1:2 with linespoints pt 4 dt 2 lc rgb "#1b9e77" title "siplb BYE→200"
set logscale xy
set xlabel "offered calls/s"
set ylabel "INVITE→200 latency (ms)"
set ytics auto
set autoscale y
set key top left opaque box
plot $p_kamailio using 1:2 with linespoints pt 7 lc rgb "#d95f02" title "Kamailio p50", \
     $p_kamailio using 1:3 with linespoints pt 7 dt 2 lc rgb "#d95f02" title "Kamailio p99", \
     $p_kamailio using 1:4 with linespoints pt 7 dt 3 lc rgb "#d95f02" title "Kamailio p99.9", \
     $p_siplb using 1:2 with linespoints pt 5 lc rgb "#1b9e77" title "siplb p50", \
     $p_siplb using 1:3 with linespoints pt 5 dt 2 lc rgb "#1b9e77" title "siplb p99", \
     $p_siplb using 1:4 with linespoints pt 5 dt 3 lc rgb "#1b9e77" title "siplb p99.9"
unset multiplot
