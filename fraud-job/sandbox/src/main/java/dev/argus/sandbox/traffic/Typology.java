package dev.argus.sandbox.traffic;

import java.util.Arrays;
import java.util.Optional;

/**
 * The fraud typologies the traffic injects: one for each rule of the shipped pack, which names it
 * in its {@code typology} key. Each is injected as fraud cases of several variants, some of them
 * evasions at the edge of the rule, and as benign look-alikes.
 */
public enum Typology {
    CARD_TESTING("card-testing", "small online payments probe a stolen card, then a large one"),
    CARD_BRUTE_FORCE("card-brute-force", "declined attempts on one card until one is approved"),
    HIGH_RISK_MERCHANT_CASH_OUT(
            "high-risk-merchant-cash-out",
            "a burst of payments at gambling, crypto, money-transfer or prepaid merchants"),
    CLONED_CARD(
            "cloned-card", "the card is used in person in two places too far apart for the time"),
    FOREIGN_LOGIN_TAKEOVER(
            "foreign-login-takeover",
            "a login from a country new to the account, then money sent out"),
    ACCOUNT_TAKEOVER(
            "account-takeover",
            "credentials changed or a device enrolled by a fraudster, then money sent out"),
    NEW_DEVICE_CASH_OUT(
            "new-device-cash-out",
            "an amount far above the account's usual, from a device it never used"),
    DEVICE_TAKEOVER(
            "device-takeover",
            "a fraudster's device is enrolled and moves money while the owner is away"),
    APP_SCAM(
            "app-scam",
            "the customer is talked into paying a payee they have just added (authorised push"
                    + " payment)"),
    DORMANT_ACCOUNT("dormant-account", "an account silent for months suddenly moves money"),
    MONEY_MULE("money-mule", "money comes in and most of it leaves at once"),
    STRUCTURING("structuring", "deposits kept just under the reporting threshold"),
    ACCOUNT_DRAINING("account-draining", "large amounts leave the account within an hour"),
    RAPID_CARD_USE("rapid-card-use", "many card payments within minutes");

    private final String id;
    private final String description;

    Typology(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** The name in labels and in rules' {@code typology} key, e.g. {@code card-testing}. */
    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    public static Optional<Typology> of(String id) {
        return Arrays.stream(values()).filter(t -> t.id.equals(id)).findFirst();
    }
}
