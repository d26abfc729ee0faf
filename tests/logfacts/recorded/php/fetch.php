<?php
$body = file_get_contents("http://127.0.0.1:18999/api/stock");
if ($body === false) { throw new RuntimeException("stock service unreachable"); }
