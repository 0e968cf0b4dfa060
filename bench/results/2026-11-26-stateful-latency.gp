$cdf_kamailio << EOD
6.455 0.30103
985.661 2
1518.34 3


5.014 0.30103
1019.22 2
1518.34 3


EOD
$p_kamailio << EOD
250 0.494 1.073 2.9
500 0.461 0.856 1.794
1000 0.514 1.384 11.731
1500 0.692 4.014 8.454
2000 0.717 14.483 31.326
3000 6.455 985.661 1518.34
4000 530.579 4043.31 4999.61
5000 1069.55 5066.72 7012.88
EOD
$cdf_siplb << EOD
0.071 0.30103
0.22 2
0.387 3


0.06 0.30103
0.187 2
0.309 3


EOD
$p_siplb << EOD
250 0.052 0.146 0.268
500 0.045 0.123 0.245
1000 0.042 0.175 0.399
1500 0.055 0.161 0.35
2000 0.059 0.171 0.354
3000 0.071 0.22 0.387
4000 0.084 0.255 0.367
5000 0.094 0.276 0.485
6000 0.121 0.342 0.561
8000 0.159 0.432 0.766
10000 0.177 0.477 0.7
12000 0.202 0.545 0.791
16000 0.297 0.758 1.02
20000 0.395 1.073 1.614
25000 0.473 2.023 8.585
32000 0.791 574.62 1535.12
40000 71.827 3506.44 3539.99
EOD

set multiplot layout 1,2 title "Latency, stateful: left, CDF at 3000 calls/s offered (the highest rate both passed); right, INVITE→200 per offered rate"
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
