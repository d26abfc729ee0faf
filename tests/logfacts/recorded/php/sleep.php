<?php
function load_report() { sleep(6); }
load_report();
echo "done";
