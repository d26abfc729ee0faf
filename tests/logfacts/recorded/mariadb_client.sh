# MariaDB client (mariadb 15.1, 10.11) against mariadbd on 127.0.0.1:13306 (users app: shop.* only, dba: all).
M="mariadb -h 127.0.0.1 -P 13306"
$M -uapp -pwrong shop -e "select 1"
$M -udba -pright nosuchdb -e "select 1"
$M -uapp -pright mysql -e "select 1"
$M -uapp -pright shop -e "select * from missing_table"
$M -uapp -pright shop -e "create table t(id int primary key); insert into t values (1); insert into t values (1)"
$M -uapp -pright shop -e "create table t(id int primary key)"
mariadb -h 127.0.0.1 -P 13399 -uapp -pright -e "select 1"
mariadb -h orders-db.shop.svc.cluster.local.invalid -P 13306 -uapp -pright -e "select 1"
HOLD=""
for i in 1 2 3 4 5 6 7 8 9 10; do $M -uapp -pright shop -e "select sleep(4)" > /dev/null & HOLD="$HOLD $!"; done
sleep 1.5
$M -uapp -pright shop -e "select 1"
wait $HOLD
