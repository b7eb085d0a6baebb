<?php

declare(strict_types=1);

namespace Plasm\Tests;

/**
 * A real HTTP server on loopback (PHP's built-in server) that answers from a script: the tests use
 * it for what a real daemon will not do on demand (429 and 503 answers, losing a module between two
 * requests) and to see exactly which requests the client sent.
 */
final class ScriptedServer
{
    /** @var resource */
    private $process;
    public readonly string $url;
    private readonly string $dir;

    /**
     * @param list<array{status: int, headers?: array<string, string>, body?: string, sleep?: float}> $responses
     *     answered in order (after `sleep` seconds); after the last, every request gets 500
     */
    public function __construct(array $responses)
    {
        $this->dir = Paths::tempDir('plasm-php-scripted');
        file_put_contents("$this->dir/script.json", json_encode($responses));
        file_put_contents("$this->dir/router.php", <<<'PHP'
            <?php
            $dir = __DIR__;
            $fp = fopen("$dir/log.jsonl", 'a');
            flock($fp, LOCK_EX);
            $n = count(file("$dir/log.jsonl") ?: []);
            fwrite($fp, json_encode(['method' => $_SERVER['REQUEST_METHOD'], 'uri' => $_SERVER['REQUEST_URI'],
                'headers' => getallheaders(), 'body' => base64_encode(file_get_contents('php://input'))],
                JSON_INVALID_UTF8_SUBSTITUTE) . "\n");
            flock($fp, LOCK_UN);
            $script = json_decode(file_get_contents("$dir/script.json"), true);
            $r = $script[$n] ?? ['status' => 500, 'body' => '{"error":{"code":"internal","message":"script ended"}}'];
            usleep((int) (($r['sleep'] ?? 0) * 1e6));
            http_response_code($r['status']);
            header('Content-Type: application/json');
            foreach ($r['headers'] ?? [] as $k => $v) {
                header("$k: $v");
            }
            echo $r['body'] ?? '';
            PHP);
        touch("$this->dir/log.jsonl");
        $port = self::freePort();
        $this->url = "http://127.0.0.1:$port";
        $this->process = proc_open(
            [PHP_BINARY, '-S', "127.0.0.1:$port", "$this->dir/router.php"],
            [0 => ['file', '/dev/null', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes
        );
        $deadline = microtime(true) + 10;
        while (@fsockopen('127.0.0.1', $port) === false) {
            if (microtime(true) > $deadline) {
                $this->stop();
                throw new \RuntimeException("the scripted server did not start on port $port");
            }
            usleep(20000);
        }
    }

    /** A port nothing listens on (just released by the kernel). */
    public static function freePort(): int
    {
        $s = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($s, false), ':'), 1);
        fclose($s);
        return $port;
    }

    /** @return list<array{method: string, uri: string, headers: array<string, string>, body: string}> */
    public function requests(): array
    {
        $lines = file("$this->dir/log.jsonl", FILE_IGNORE_NEW_LINES) ?: [];
        return array_map(static function (string $l): array {
            $r = json_decode($l, true, 16, JSON_THROW_ON_ERROR);
            $r['body'] = base64_decode($r['body']);
            return $r;
        }, $lines);
    }

    public function stop(): void
    {
        if (is_resource($this->process)) {
            proc_terminate($this->process);
            proc_close($this->process);
        }
        Paths::removeTree($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }
}
