$kamailio << EOD
250 250.0 1
500 500.0 1
1000 1000.1 1
1500 1500.0 1
2000 2000.0 1
3000 3000.0 1
4000 4000.0 1
5000 4989.5 0
6000 6000.0 1
8000 5821.4 0
10000 4756.5 0
EOD
$siplb << EOD
250 250.0 1
500 500.0 1
1000 1000.0 1
1500 1500.1 1
2000 2000.0 1
3000 3000.0 1
4000 4000.0 1
5000 5000.0 1
6000 6000.0 1
8000 8000.0 1
10000 9986.3 1
12000 11997.7 1
16000 15998.5 1
20000 20000.0 1
25000 25000.0 1
32000 31512.3 1
40000 39090.5 1
50000 21909.3 0
EOD

set title "Throughput, stateless: completed calls/s against offered load (1 LB core)"
set xlabel "offered calls/s"
set ylabel "completed calls/s"
set key top left
set grid
set xrange [0:52500]
set yrange [0:52500]
plot x title "offered" dt 2 lc rgb "gray", \
     $kamailio using 1:2 with linespoints pt 7 lc rgb "#d95f02" title "Kamailio", \
     $siplb using 1:2 with linespoints pt 5 lc rgb "#1b9e77" title "siplb", \
     $kamailio using 1:($3 == 0 ? $2 : 1/0) with points pt 6 ps 2.5 lc rgb "red" title "> 0.1 % failed", \
     $siplb using 1:($3 == 0 ? $2 : 1/0) with points pt 6 ps 2.5 lc rgb "red" notitle
