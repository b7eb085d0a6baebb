<?php

declare(strict_types=1);

namespace Plasm\Exception;

use Plasm\Receipt\VerificationReport;

/**
 * A receipt failed verification; check() names the first check that failed, in the order of
 * docs/receipts.md §7: `format`, `scheme`, `signer-key`, `signer-peer-id`, `settings-hash`,
 * `signature`, `job-id`, `nonce`, `args`, `module`, `stdout`, `stderr`, `trust`.
 */
class VerificationException extends \RuntimeException implements PlasmException
{
    public function __construct(
        string $message,
        private readonly string $check,
        private readonly VerificationReport $report
    ) {
        parent::__construct($message);
    }

    /** The name of the check that failed, e.g. `signature`. */
    public function check(): string
    {
        return $this->check;
    }

    /** Every check that ran, passed or not. */
    public function report(): VerificationReport
    {
        return $this->report;
    }
}
