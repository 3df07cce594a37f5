package dev.argus.sandbox.traffic;

/**
 * The kinds of accounts the traffic is made of, each with its own rates (events per day, before the
 * weekly rhythm and each account's own activity level) and daily rhythm. docs/traffic.md gives the
 * public figures they are set from.
 *
 * <p>Rates: euro-area payment statistics (ECB, payments statistics 2024) come to about 240 card
 * payments and 90 credit transfers a year per inhabitant, children included: an adult with a card
 * makes about one card payment a day. The ECB's SPACE 2024 study puts 21% of day-to-day payments
 * online. A small business makes a few payments in and out a day (JPMorgan Chase Institute, 2016:
 * about 2.9 transactions a day for the median small business).
 */
enum AccountKind {
    //                  share  card  transfer atm  login  deposit amount
    SALARIED(0.50, 0.90, 0.20, 0.07, 0.60, 0.00, 1.0, Rhythm.CONSUMER),
    STUDENT(0.10, 1.20, 0.10, 0.05, 1.00, 0.00, 0.5, Rhythm.LATE),
    RETIREE(0.14, 0.50, 0.10, 0.15, 0.15, 0.00, 0.8, Rhythm.DAYTIME),
    TRAVELLER(0.06, 1.30, 0.20, 0.08, 0.70, 0.00, 1.4, Rhythm.CONSUMER),
    HIGH_SPENDER(0.05, 2.00, 0.40, 0.05, 0.80, 0.00, 3.0, Rhythm.CONSUMER),
    SMALL_BUSINESS(0.10, 2.50, 1.50, 0.10, 2.50, 2.00, 2.0, Rhythm.BUSINESS),
    /** Last active 150 to 390 days before the traffic starts; silent unless a case wakes it. */
    DORMANT(0.05, 0, 0, 0, 0, 0, 1.0, Rhythm.CONSUMER);

    final double share;
    final double cardPerDay;
    final double transfersPerDay;
    final double withdrawalsPerDay;
    final double loginsPerDay;
    final double depositsPerDay;

    /** Multiplies every amount the account spends. */
    final double amountScale;

    final Rhythm rhythm;

    AccountKind(
            double share,
            double cardPerDay,
            double transfersPerDay,
            double withdrawalsPerDay,
            double loginsPerDay,
            double depositsPerDay,
            double amountScale,
            Rhythm rhythm) {
        this.share = share;
        this.cardPerDay = cardPerDay;
        this.transfersPerDay = transfersPerDay;
        this.withdrawalsPerDay = withdrawalsPerDay;
        this.loginsPerDay = loginsPerDay;
        this.depositsPerDay = depositsPerDay;
        this.amountScale = amountScale;
        this.rhythm = rhythm;
    }

    String label() {
        return name().toLowerCase().replace('_', '-');
    }

    /**
     * When in the day and the week an account is active: relative weights by local hour (0 to 23)
     * and by day of the week (Monday first). Card payments are near zero from 2:00 to 6:00, peak
     * late in the morning and again in the late afternoon, and Saturday is the busiest day (Paymark
     * and Barclaycard data; Czech card data shows the two weekday peaks); businesses work weekdays.
     */
    enum Rhythm {
        CONSUMER(
                new double[] {
                    0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 1.6, 2.2, 2.6, 3.0, 3.4, 3.6, 3.2, 2.8, 2.9,
                    3.3, 3.6, 3.5, 2.8, 2.0, 1.5, 1.1, 0.7
                },
                new double[] {0.92, 0.90, 0.95, 0.98, 1.12, 1.30, 0.83}),
        LATE(
                new double[] {
                    1.0, 0.6, 0.3, 0.1, 0.1, 0.1, 0.2, 0.6, 1.2, 1.6, 2.0, 2.6, 3.2, 3.0, 2.8, 2.8,
                    3.0, 3.2, 3.3, 3.1, 2.8, 2.4, 2.0, 1.5
                },
                new double[] {0.95, 0.95, 0.97, 1.00, 1.15, 1.20, 0.78}),
        DAYTIME(
                new double[] {
                    0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.4, 1.2, 2.4, 3.4, 3.8, 3.8, 3.4, 2.8, 2.6,
                    2.6, 2.4, 1.8, 1.2, 0.8, 0.5, 0.3, 0.2, 0.1
                },
                new double[] {1.05, 1.00, 1.00, 1.00, 1.10, 1.20, 0.65}),
        BUSINESS(
                new double[] {
                    0.05, 0.05, 0.05, 0.05, 0.05, 0.2, 0.8, 2.0, 3.5, 4.0, 4.0, 3.8, 3.0, 3.4, 3.8,
                    3.8, 3.4, 2.6, 1.4, 0.7, 0.4, 0.2, 0.1, 0.05
                },
                new double[] {1.15, 1.15, 1.15, 1.15, 1.10, 0.35, 0.10});

        private final double[] hourCumulative = new double[24];
        final double[] weekday;

        Rhythm(double[] hours, double[] weekday) {
            double sum = 0;
            for (int h = 0; h < 24; h++) {
                sum += hours[h];
                hourCumulative[h] = sum;
            }
            for (int h = 0; h < 24; h++) {
                hourCumulative[h] /= sum;
            }
            this.weekday = weekday;
        }

        /** A local time of day in milliseconds, drawn from the hourly weights. */
        long timeOfDay(java.util.SplittableRandom random) {
            double u = random.nextDouble();
            int h = 0;
            while (h < 23 && hourCumulative[h] < u) {
                h++;
            }
            return h * 3_600_000L + random.nextLong(3_600_000L);
        }
    }
}
