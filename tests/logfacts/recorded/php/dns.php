<?php
$fp = fsockopen("cache.shop.svc.cluster.local.invalid", 11211, $errno, $errstr, 1);
if (!$fp) { error_log("cache connect failed: $errstr ($errno)"); http_response_code(503); }
