<?php

declare(strict_types=1);

namespace Plasm\Receipt;

/**
 * Every check one verification ran, in order (docs/receipts.md §7), with the verdicts `plasm receipt
 * verify --json` gives: well-formed, authentic (every check but trust passed), trusted.
 */
final class VerificationReport
{
    /**
     * @param list<Check> $checks
     * @param ?JsonObject $receipt the parsed receipt, or null when it is malformed
     */
    public function __construct(public readonly array $checks, private readonly ?JsonObject $receipt)
    {
    }

    /** Whether the document is a well-formed receipt. */
    public function wellFormed(): bool
    {
        return $this->receipt !== null;
    }

    /** Whether every check but `trust` passed: the signer signed exactly this, and it matches what was given. */
    public function authentic(): bool
    {
        if (!$this->wellFormed()) {
            return false;
        }
        foreach ($this->checks as $c) {
            if ($c->name !== 'trust' && !$c->passed) {
                return false;
            }
        }
        return true;
    }

    /** Whether the signer is one the verifier trusts (and the receipt is authentic). */
    public function trusted(): bool
    {
        return $this->passed();
    }

    /** Whether every check passed, trust included: the only verdict that makes a receipt valid. */
    public function passed(): bool
    {
        return $this->wellFormed() && $this->failures() === [];
    }

    /** @return list<Check> */
    public function failures(): array
    {
        return array_values(array_filter($this->checks, static fn (Check $c): bool => !$c->passed));
    }

    /** The check named so, or null when it did not run. */
    public function check(string $name): ?Check
    {
        foreach ($this->checks as $c) {
            if ($c->name === $name) {
                return $c;
            }
        }
        return null;
    }

    /**
     * The shape of `plasm receipt verify --json`, without its process exit code.
     *
     * @return array{wellFormed: bool, authentic: bool, trusted: bool, jobId: ?string, signer: ?string,
     *     checks: list<array{name: string, passed: bool, detail: string}>}
     */
    public function toArray(): array
    {
        $signer = $this->receipt?->get('signer');
        return [
            'wellFormed' => $this->wellFormed(),
            'authentic' => $this->authentic(),
            'trusted' => $this->trusted(),
            'jobId' => $this->receipt?->get('jobId'),
            'signer' => $signer instanceof JsonObject ? $signer->get('peerId') : null,
            'checks' => array_map(static fn (Check $c): array => $c->toArray(), $this->checks),
        ];
    }
}
