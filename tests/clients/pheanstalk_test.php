<?php
// Debian 12's PHP client (php-pda-pheanstalk 4.0) against a running server, as a
// PHP service would use it. Usage: php pheanstalk_test.php PORT. Exits non-zero on failure.
require_once '/usr/share/php/Pheanstalk/autoload.php';

use Pheanstalk\Pheanstalk;

$port = (int)$argv[1];
$failures = 0;
function check($what, $got, $want) {
    global $failures;
    if ($got !== $want) {
        fwrite(STDERR, "FAIL $what: got " . var_export($got, true) . ", want " . var_export($want, true) . "\n");
        $failures++;
    }
}

$p = Pheanstalk::create('127.0.0.1', $port);
$p->useTube('emails');
$p->watch('emails');
$p->ignore('default');
$id = $p->put("hello\r\nworld", 10, 0, 60)->getId();
$job = $p->reserveWithTimeout(1);
check('reserved id', $job->getId(), $id);
check('body with CRLF', $job->getData(), "hello\r\nworld");

// pheanstalk compares names as text: the quotes of beanstalkd 1.13 would stay on.
$tube = $p->statsTube('emails');
check('stats-tube name', $tube['name'], 'emails');
check('current-jobs-reserved', $tube['current-jobs-reserved'], '1');
$js = $p->statsJob($job);
check('stats-job tube', $js['tube'], 'emails');
check('stats-job state', $js['state'], 'reserved');
$p->release($job, 5, 0);
$job = $p->reserveWithTimeout(1);
$p->bury($job);
check('peek-buried', $p->peekBuried()->getId(), $id);
$p->kickJob($job);
$job = $p->reserveWithTimeout(1);
$p->touch($job);
$p->delete($job);
check('reserve on empty tube', $p->reserveWithTimeout(0), null);
check('list-tubes contains emails', in_array('emails', $p->listTubes(), true), true);
check('list-tubes-watched', $p->listTubesWatched(), ['emails']);
check('list-tube-used', $p->listTubeUsed(), 'emails');
$stats = $p->stats();
check('stats draining', $stats['draining'], 'false');
// Written bare (it reads back as the same string), so PHP sees no quotes.
check('stats version is 1.13-compatible', strncmp($stats['version'], '1.13.', 5), 0);
$p->pauseTube('emails', 1);
check('stats-tube pause', $p->statsTube('emails')['pause'], '1');

exit($failures == 0 ? 0 : 1);
