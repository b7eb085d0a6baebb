<?php

declare(strict_types=1);

namespace Plasm\Tests;

/**
 * The `plasm` command of the runtime image the build made, and a `plasm daemon` started from it on
 * loopback with a private state directory; the integration tests use the real thing.
 */
final class Plasm
{
    /** The plasm command: $PLASM_BIN, else the image in the repository (jlink/target/image). */
    public static function bin(): string
    {
        $bin = getenv('PLASM_BIN') ?: Paths::repo() . '/jlink/target/image/bin/plasm';
        if (!is_file($bin) || !is_executable($bin)) {
            throw new \RuntimeException("the integration tests need the plasm runtime image, and $bin does not exist;"
                . ' build it with `scripts/plasm --version` (or mvn -DskipTests install), or set PLASM_BIN');
        }
        return $bin;
    }

    /**
     * Runs a plasm command and returns [exit code, stdout, stderr].
     *
     * @param list<string> $args
     * @param array<string, string> $env added to this process's environment
     * @return array{int, string, string}
     */
    public static function run(array $args, array $env = []): array
    {
        $p = proc_open(
            [self::bin(), ...$args],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']],
            $pipes,
            null,
            $env + getenv()
        );
        $out = stream_get_contents($pipes[1]);
        $err = stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($p), (string) $out, (string) $err];
    }

    /** The peer id of the identity in $home (created on first use). */
    public static function peerId(string $home): string
    {
        [$code, $out, $err] = self::run(['identity', 'show', '--json'], ['PLASM_HOME' => $home]);
        if ($code !== 0) {
            throw new \RuntimeException("plasm identity show failed ($code): $err");
        }
        return json_decode($out, true, 8, JSON_THROW_ON_ERROR)['peerId'];
    }
}
