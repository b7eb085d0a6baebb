<?php

declare(strict_types=1);

namespace Plasm\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Plasm\Client;
use Plasm\Exception\InvalidArgumentException;
use Plasm\Exception\TransportException;
use Plasm\Tests\Paths;
use Plasm\Tests\ScriptedServer;
use Plasm\Transport\RemoteTransport;

/**
 * How a Client finds its daemon and token (as `plasm submit` does) and checks its options.
 */
final class ClientTests extends TestCase
{
    private string $home;
    /** @var array<string, string|false> */
    private array $savedEnv = [];

    protected function setUp(): void
    {
        $this->home = Paths::tempDir('plasm-php-home');
        foreach (['PLASM_DAEMON', 'PLASM_TOKEN', 'PLASM_HOME'] as $name) {
            $this->savedEnv[$name] = getenv($name);
            putenv($name);
        }
    }

    protected function tearDown(): void
    {
        foreach ($this->savedEnv as $name => $value) {
            putenv($value === false ? $name : "$name=$value");
        }
        Paths::removeTree($this->home);
    }

    private static function url(Client $c): string
    {
        $t = $c->transport();
        self::assertInstanceOf(RemoteTransport::class, $t);
        return $t->url();
    }

    public function testFindsTheDaemonAsPlasmSubmitDoes(): void
    {
        // Nothing known: the default address.
        self::assertSame('http://127.0.0.1:8080', self::url(new Client(['plasm_home' => $this->home])));
        // The daemon.json a running daemon writes.
        file_put_contents("$this->home/daemon.json", '{"address": "127.0.0.1:41234", "pid": 1}');
        self::assertSame('http://127.0.0.1:41234', self::url(new Client(['plasm_home' => $this->home])));
        // PLASM_HOME is where it looks by default.
        putenv("PLASM_HOME=$this->home");
        self::assertSame('http://127.0.0.1:41234', self::url(new Client()));
        // A config file's api.listen comes before daemon.json; a wildcard address means this machine.
        file_put_contents("$this->home/plasmd.toml", "state-dir = \"$this->home\"\n[api]\nlisten = \"0.0.0.0:9000\"\n");
        self::assertSame('http://127.0.0.1:9000', self::url(new Client(['config' => "$this->home/plasmd.toml"])));
        // PLASM_DAEMON comes before both, and daemon_url before everything.
        putenv('PLASM_DAEMON=127.0.0.1:7000');
        self::assertSame('http://127.0.0.1:7000', self::url(new Client(['config' => "$this->home/plasmd.toml"])));
        self::assertSame('http://localhost:6000', self::url(new Client(['daemon_url' => 'http://localhost:6000/'])));
    }

    public function testSendsTheTokenFromTheFirstSourceThatHasOne(): void
    {
        $server = new ScriptedServer(array_fill(0, 5, ['status' => 200, 'body' => '{"version": "x"}']));
        try {
            file_put_contents("$this->home/token", "from-home\n");
            file_put_contents("$this->home/other-token", "from-file\n");
            $base = ['daemon_url' => $server->url, 'plasm_home' => $this->home];
            (new Client($base))->transport()->node();
            putenv('PLASM_TOKEN=from-env');
            (new Client($base))->transport()->node();
            (new Client($base + ['token_file' => "$this->home/other-token"]))->transport()->node();
            (new Client($base + ['token' => 'given']))->transport()->node();
            // getenv() of an unset variable is false: it counts as not given.
            (new Client($base + ['token' => false]))->transport()->node();
            self::assertSame(
                ['Bearer from-home', 'Bearer from-env', 'Bearer from-file', 'Bearer given', 'Bearer from-env'],
                array_map(static fn ($r) => $r['headers']['Authorization'], $server->requests())
            );
        } finally {
            $server->stop();
        }
    }

    public function testRefusesUnknownOptionsAndModes(): void
    {
        try {
            new Client(['daemonUrl' => 'http://127.0.0.1:1']);
            self::fail('accepted daemonUrl');
        } catch (InvalidArgumentException $e) {
            self::assertSame('daemonUrl', $e->field());
            self::assertStringContainsString('daemon_url', $e->getMessage());
        }
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage("mode: 'cloud' is not remote or local");
        new Client(['mode' => 'cloud']);
    }

    public function testAnUnreadableTokenFileIsNamed(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('token_file: cannot read /nonexistent/token');
        new Client(['daemon_url' => 'http://127.0.0.1:1', 'token_file' => '/nonexistent/token']);
    }

    public function testLocalModeNeedsThePlasmCommand(): void
    {
        try {
            new Client(['mode' => 'local', 'plasm_bin' => '/nonexistent/plasm']);
            self::fail('accepted a missing plasm');
        } catch (TransportException $e) {
            self::assertStringContainsString("'/nonexistent/plasm' does not exist", $e->getMessage());
        }
        $path = getenv('PATH');
        putenv('PATH=/nonexistent');
        try {
            new Client(['mode' => 'local']);
            self::fail('found plasm on an empty PATH');
        } catch (TransportException $e) {
            self::assertStringContainsString("not on PATH", $e->getMessage());
            self::assertStringContainsString("'plasm_bin'", $e->getMessage());
        } finally {
            putenv("PATH=$path");
        }
    }
}
