package dev.argus.model;

import static dev.argus.model.TransactionBuilder.T0;
import static dev.argus.model.TransactionBuilder.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class TransactionValidatorTest {
    private final TransactionValidator validator = new TransactionValidator(3_600_000L);

    private Optional<TransactionValidator.Violation> check(Transaction t) {
        return validator.check(t, T0.toEpochMilli());
    }

    @Test
    void acceptsAnOrdinaryCardPayment() {
        assertThat(check(payment().build())).isEmpty();
    }

    @Test
    void acceptsALoginWithoutAmount() {
        Transaction login = payment().type(TransactionType.LOGIN).noAmount().build();
        login.setMerchant(null);
        assertThat(check(login)).isEmpty();
    }

    @Test
    void refusesANegativeAmount() {
        assertThat(check(payment().amountMinor(-1).build()))
                .hasValueSatisfying(
                        v -> {
                            assertThat(v.reason()).isEqualTo(DeadLetterReason.INVALID_VALUE);
                            assertThat(v.detail()).contains("negative");
                        });
    }

    @Test
    void refusesACurrencyThatIsNotIso4217() {
        assertThat(check(payment().amount("1.00", "EUR").build())).isEmpty();
        Transaction t = payment().build();
        t.setAmount(new Money(100L, "EURO"));
        assertThat(check(t).map(TransactionValidator.Violation::reason))
                .contains(DeadLetterReason.INVALID_VALUE);
    }

    @Test
    void refusesAPaymentWithoutAmount() {
        assertThat(check(payment().noAmount().build()).map(TransactionValidator.Violation::reason))
                .contains(DeadLetterReason.MISSING_FIELD);
    }

    @Test
    void refusesAnEmptyAccountId() {
        assertThat(
                        check(payment().account(" ").build())
                                .map(TransactionValidator.Violation::reason))
                .contains(DeadLetterReason.MISSING_FIELD);
    }

    @Test
    void refusesAnImpossibleLatitude() {
        assertThat(check(payment().location(91, 0, "DE").build()))
                .map(TransactionValidator.Violation::reason)
                .contains(DeadLetterReason.INVALID_VALUE);
    }

    @Test
    void refusesAnEventTimeFarAheadOfTheRecordTimestamp() {
        Transaction future = payment().at(T0.plusSeconds(2 * 3600)).build();
        assertThat(check(future)).hasValueSatisfying(v -> assertThat(v.detail()).contains("clock"));
        assertThat(validator.check(future, -1)).isEmpty();
    }
}
