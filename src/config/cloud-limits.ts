/** Limits of Google Cloud APIs that config validation checks before any resource is created. */

/**
 * Notification channels a billing budget accepts: `allUpdatesRule.monitoringNotificationChannels`,
 * "A maximum of 5 channels are allowed" (@pulumi/gcp 9.37 types/input.d.ts, BudgetAllUpdatesRule).
 */
export const maxBudgetChannels = 5;
