<?php

declare(strict_types=1);

namespace Plasm\Tests\Integration;

use PHPUnit\Framework\TestCase;
use Plasm\Tests\Daemon;
use Plasm\Tests\Paths;
use Plasm\Tests\Plasm;

/**
 * The README's example as a new user runs it (a Composer project with the SDK as a path repository,
 * a daemon started with `plasm daemon`), and the scripts in examples/.
 */
final class ExamplesTests extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        $this->dir = Paths::tempDir('plasm-php-examples');
    }

    protected function tearDown(): void
    {
        Paths::removeTree($this->dir);
    }

    /**
     * Runs a command and returns [exit code, stdout, stderr].
     *
     * @param list<string> $cmd
     * @param array<string, string> $env the whole environment
     * @return array{int, string, string}
     */
    private static function exec(array $cmd, string $cwd, array $env): array
    {
        $io = [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']];
        $p = proc_open($cmd, $io, $pipes, $cwd, $env);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return [proc_close($p), $out, $err];
    }

    /** This process's environment without the variables through which Plasm finds a daemon. */
    private static function cleanEnv(array $add): array
    {
        $plasm = array_flip(['PLASM_HOME', 'PLASM_DAEMON', 'PLASM_TOKEN', 'PLASM_TRUST']);
        return $add + array_diff_key(getenv(), $plasm);
    }

    /** The fenced block of $lang that follows the line $after in the README. */
    private static function readmeBlock(string $after, string $lang): string
    {
        $readme = (string) file_get_contents(Paths::repo() . '/php/README.md');
        $at = strpos($readme, "\n$after\n");
        self::assertNotFalse($at, "the README has no line '$after'");
        self::assertSame(1, preg_match('/```' . $lang . '\n(.*?)\n```/s', $readme, $m, 0, $at));
        return $m[1] . "\n";
    }

    public function testTheReadmeExampleRunsAsWritten(): void
    {
        $composer = trim((string) shell_exec('command -v composer'));
        self::assertNotSame('', $composer, 'the README test installs the SDK with Composer: apt-get install composer');
        $home = "$this->dir/home";
        $project = "$this->dir/project";
        mkdir($home, 0700);
        mkdir($project);

        // "With Composer, as a path repository", with the README's composer.json.
        $block = self::readmeBlock('**With Composer**, as a path repository (no network needed):', 'json');
        $composerJson = str_replace('/path/to/plasm/php', Paths::repo() . '/php', $block);
        file_put_contents("$project/composer.json", $composerJson);
        $env = self::cleanEnv(['HOME' => $home, 'COMPOSER_HOME' => "$home/.composer"]);
        [$code, , $err] = self::exec([$composer, 'install', '--no-interaction', '--no-progress'], $project, $env);
        self::assertSame(0, $code, "composer install failed: $err");

        // `plasm daemon &`, `plasm identity show`, `export PLASM_TRUST=...`, `cp .../hello.wasm .`,
        // with PLASM_HOME standing for ~/.plasm (plasm takes ~ from the user database, not $HOME).
        $daemon = new Daemon('', $home);
        $user = self::cleanEnv(['HOME' => $home, 'PLASM_HOME' => "$home/.plasm"]);
        try {
            [$code, $identity] = self::exec([Plasm::bin(), 'identity', 'show'], $project, $user);
            self::assertSame(0, $code);
            self::assertSame(1, preg_match('/^peer id:\s+(12D3KooW\w+)$/m', $identity, $m));
            self::assertSame($daemon->peerId, $m[1], 'plasm identity show names the daemon that signs');
            copy(Paths::hello(), "$project/hello.wasm");
            file_put_contents("$project/hello.php", self::readmeBlock('`hello.php`:', 'php'));

            [$code, $out, $err] = self::exec([PHP_BINARY, 'hello.php'], $project, ['PLASM_TRUST' => $m[1]] + $user);
            self::assertSame(0, $code, $out . $err);
            $readme = (string) file_get_contents(Paths::repo() . '/php/README.md');
            self::assertSame(1, preg_match('/```\n\$ php hello\.php\n(.*?)```/s', $readme, $shown));
            self::assertSame($shown[1], $out, 'the output the README shows');
        } finally {
            $daemon->stop();
        }
    }

    public function testHelloRemoteExample(): void
    {
        $daemon = new Daemon();
        try {
            [$code, $out, $err] = self::exec(
                [PHP_BINARY, Paths::repo() . '/php/examples/hello-remote.php', '--follow', '--', 'from', 'php'],
                $this->dir,
                self::cleanEnv(['PLASM_HOME' => $daemon->state])
            );
            self::assertSame(0, $code, $err);
            self::assertSame("Hello from WebAssembly!\narg 1: from\narg 2: php\n", $out);
            self::assertStringContainsString("receipt: verified, signed by {$daemon->peerId}", $err);
        } finally {
            $daemon->stop();
        }
    }

    public function testHelloLocalExample(): void
    {
        [$code, $out, $err] = self::exec(
            [PHP_BINARY, Paths::repo() . '/php/examples/hello-local.php', '--', 'local'],
            $this->dir,
            self::cleanEnv(['PLASM_HOME' => $this->dir, 'PLASM_BIN' => Plasm::bin()])
        );
        self::assertSame(0, $code, $err);
        self::assertSame("Hello from WebAssembly!\narg 1: local\n", $out);
        self::assertStringContainsString('receipt: verified, signed by ' . Plasm::peerId($this->dir), $err);
    }

    public function testVerifyReceiptExampleExitsLikePlasmReceiptVerify(): void
    {
        $v = Paths::vectors();
        $script = [PHP_BINARY, Paths::repo() . '/php/examples/verify-receipt.php'];
        $trust = ['--trust', '12D3KooWMcRaLtkCAG8vQEPJhV7E8K5F3tSzgkp4nb46NtivgJBd'];
        $files = ['--module', Paths::hello(), '--stdout', "$v/hello.stdout"];
        $expected = ['valid-hello.json' => 0, 'other-signer.json' => 10, 'tampered-stdout-bytes.json' => 11,
            'malformed-truncated.json' => 12];
        foreach ($expected as $file => $exit) {
            [$code, $out] = self::exec([...$script, "$v/$file", ...$trust, ...$files], $this->dir, getenv());
            self::assertSame($exit, $code, "$file:\n$out");
        }
        [$code] = self::exec([...$script, "$v/valid-hello.json", '--stdout', '/nonexistent'], $this->dir, getenv());
        self::assertSame(66, $code);
    }
}
