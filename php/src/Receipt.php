<?php

declare(strict_types=1);

namespace Plasm;

use Plasm\Exception\InvalidArgumentException;
use Plasm\Exception\TransportException;
use Plasm\Exception\UntrustedSignerException;
use Plasm\Exception\VerificationException;
use Plasm\Receipt\Format;
use Plasm\Receipt\FormatException;
use Plasm\Receipt\JsonObject;
use Plasm\Receipt\VerificationReport;
use Plasm\Receipt\Verifier;

/**
 * A signed execution receipt (docs/receipts.md): a node's statement that it ran a module on some
 * inputs with some result. Verify it offline with verify(), which returns true only when the
 * receipt is authentic, matches what the caller holds, and is signed by a node the caller trusts.
 *
 * A receipt from Result::receipt() already knows the job's module, stdout, stderr, id, nonce and
 * arguments, and verify() checks them all; a receipt read with fromFile() checks what it is given.
 */
final class Receipt
{
    /** @var array{module?: string, stdout?: string, stderr?: string, jobId?: string, nonce?: string, args?: list<string>} */
    private array $expected;

    /**
     * @param string $json the receipt document as it was received
     * @param array{module?: string, stdout?: string, stderr?: string, jobId?: string, nonce?: string,
     *     args?: list<string>} $expected
     *     what the job is known to have been (used by verify() unless the caller gives other values)
     */
    public function __construct(private readonly string $json, array $expected = [])
    {
        $this->expected = array_filter($expected, static fn ($v): bool => $v !== null);
    }

    /** A receipt from its JSON text; nothing is checked until verify() or check(). */
    public static function fromJson(string $json): self
    {
        return new self($json);
    }

    /**
     * @throws InvalidArgumentException when the file cannot be read
     */
    public static function fromFile(string $path): self
    {
        $json = is_file($path) ? @file_get_contents($path) : false;
        if ($json === false) {
            throw new InvalidArgumentException('path', "cannot read the receipt file $path");
        }
        return new self($json);
    }

    /**
     * Checks the receipt and returns true, or throws naming the first check that failed.
     *
     * An authentic receipt whose signer is not in $trusted throws UntrustedSignerException (check
     * `trust`): the key inside a receipt proves only that its holder signed. The other arguments
     * override what the receipt already knows of its job; pass them to check a receipt file against
     * the module and output you hold.
     *
     * @param list<string> $trusted peer ids (12D3KooW...) or base64 public keys of the signers you trust
     * @param ?string $module the module's bytes
     * @param ?string $stdout the job's stdout bytes
     * @param ?string $stderr the job's stderr bytes
     * @param ?string $jobId the job id you expect
     * @param ?string $nonce the nonce you sent
     * @param ?list<string> $args the arguments you gave the guest (after argv[0])
     * @throws UntrustedSignerException when everything but trust passed
     * @throws VerificationException naming the first check that failed
     */
    public function verify(
        array $trusted = [],
        ?string $module = null,
        ?string $stdout = null,
        ?string $stderr = null,
        ?string $jobId = null,
        ?string $nonce = null,
        ?array $args = null
    ): bool {
        $report = $this->check($trusted, $module, $stdout, $stderr, $jobId, $nonce, $args);
        $failures = $report->failures();
        if ($failures === []) {
            return true;
        }
        $first = $failures[0];
        if ($first->name === 'trust') {
            throw new UntrustedSignerException(
                "the receipt is authentic but not trusted: {$first->detail}",
                'trust',
                $report
            );
        }
        throw new VerificationException(
            "receipt check '{$first->name}' failed: {$first->detail}",
            $first->name,
            $report
        );
    }

    /**
     * Runs every check without throwing and returns them all (the same arguments as verify()).
     *
     * @param list<string> $trusted
     * @param ?list<string> $args
     */
    public function check(
        array $trusted = [],
        ?string $module = null,
        ?string $stdout = null,
        ?string $stderr = null,
        ?string $jobId = null,
        ?string $nonce = null,
        ?array $args = null
    ): VerificationReport {
        foreach ($trusted as $i => $t) {
            if (!is_string($t)) {
                throw new InvalidArgumentException(
                    "trusted[$i]",
                    'must be a peer id or base64 public key string, not ' . get_debug_type($t)
                        . ($t === false ? ' (getenv() of a variable that is not set?)' : '')
                );
            }
        }
        if ($args !== null) {
            foreach ($args as $i => $a) {
                if (!is_string($a)) {
                    throw new InvalidArgumentException("args[$i]", 'must be a string');
                }
            }
        }
        $given = ['module' => $module, 'stdout' => $stdout, 'stderr' => $stderr, 'jobId' => $jobId,
            'nonce' => $nonce, 'args' => $args];
        // What the caller gives overrides what the receipt knows of its job.
        $expected = array_filter($given, static fn ($v): bool => $v !== null) + $this->expected;
        return Verifier::check($this->json, array_values($trusted), $expected);
    }

    /** The receipt document exactly as received. */
    public function json(): string
    {
        return $this->json;
    }

    /** Writes the receipt document, as received, to a file. */
    public function save(string $path): void
    {
        if (@file_put_contents($path, $this->json) !== strlen($this->json)) {
            throw new TransportException("cannot write the receipt to $path");
        }
    }

    /**
     * The receipt's fields as PHP arrays (objects as associative arrays). This is what the receipt
     * says, not what is proven: call verify() before relying on any of it.
     *
     * @return array<string, mixed>
     * @throws VerificationException (check `format`) when the receipt is malformed
     */
    public function toArray(): array
    {
        return self::plain($this->parsed());
    }

    /** The job id the receipt names (unverified). */
    public function jobId(): string
    {
        return $this->parsed()->get('jobId');
    }

    /** The signer's peer id the receipt names (unverified: trust it only after verify()). */
    public function signerPeerId(): string
    {
        return $this->parsed()->get('signer')->get('peerId');
    }

    private function parsed(): JsonObject
    {
        try {
            return Format::parse($this->json);
        } catch (FormatException $e) {
            $report = $this->check();
            throw new VerificationException('the receipt is malformed: ' . $e->getMessage(), 'format', $report);
        }
    }

    private static function plain(mixed $v): mixed
    {
        if ($v instanceof JsonObject) {
            return array_map([self::class, 'plain'], $v->members);
        }
        return is_array($v) ? array_map([self::class, 'plain'], $v) : $v;
    }
}
