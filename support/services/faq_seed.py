"""The help centre's first articles (German and English): bills, meter
readings, payments, moving, outages, contract and tariff, bank details,
complaints. `faq_seed()` creates what is missing and leaves articles that
exist (agents may have edited them) as they are; running it again changes nothing.

Category slugs are the classifier's topics, so the assistant can offer a
topic's articles when a search finds nothing better.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from support.models import FaqArticle, FaqCategory

CATEGORIES = [
    ("billing", "Rechnungen", "Bills"),
    ("meter", "Zählerstände", "Meter readings"),
    ("payments", "Zahlungen und Abschläge", "Payments and instalments"),
    ("moving", "Umzug", "Moving home"),
    ("outage", "Störungen", "Outages"),
    ("tariff", "Vertrag und Tarif", "Contract and tariff"),
    ("bank_details", "Bankverbindung", "Bank details"),
    ("complaint", "Beschwerden", "Complaints"),
]


def _articles() -> list[dict]:
    weeks = settings.PRICE_CHANGE_NOTICE_WEEKS
    hotline = settings.COMPANY_HOTLINE
    prenotification = settings.SEPA_PRENOTIFICATION_DAYS
    return [
        {
            "category": "billing",
            "slug": "understanding-your-bill",
            "title_de": "So lesen Sie Ihre Rechnung",
            "title_en": "How to read your bill",
            "keywords_de": "Rechnung verstehen, Rechnungsposten, Arbeitspreis, Grundpreis, Mehrwertsteuer, Verbrauch",
            "keywords_en": "understand bill, invoice lines, unit price, standing charge, VAT, consumption",
            "body_de": (
                "Ihre Rechnung zeigt für jede Lieferstelle den Abrechnungszeitraum, die verwendeten Zählerstände "
                "und den Verbrauch. Der Verbrauch ist die Differenz aus Endstand und Anfangsstand; bei Gas wird "
                "aus Kubikmetern mit Zustandszahl und Brennwert in Kilowattstunden umgerechnet.\n\n"
                "Jede Zeile nennt Menge, Nettopreis und Betrag: der Arbeitspreis je kWh oder m³ und der Grundpreis, "
                "der tageweise berechnet wird. Ändert sich ein Preis im Zeitraum, wird der Verbrauch zeitanteilig "
                "aufgeteilt.\n\n"
                "Die Mehrwertsteuer wird je Steuersatz auf die Nettosumme berechnet. Bereits gezahlte Abschläge "
                "werden am Ende abgezogen; daraus ergibt sich Nachzahlung oder Guthaben. Geschätzte Zählerstände "
                "sind auf der Rechnung gekennzeichnet."
            ),
            "body_en": (
                "Your bill shows for each supply point the billing period, the meter readings used and the "
                "consumption. Consumption is the end reading minus the start reading; for gas, cubic metres are "
                "converted into kilowatt hours with the state number and the calorific value.\n\n"
                "Each line shows quantity, net price and amount: the unit price per kWh or m³ and the standing "
                "charge, which is charged per day. If a price changes within the period, the consumption is split "
                "in proportion to the days.\n\n"
                "VAT is calculated per rate on the net total. Instalments you have paid are deducted at the end, "
                "which gives the amount to pay or your credit. Estimated readings are marked on the bill."
            ),
        },
        {
            "category": "billing",
            "slug": "annual-settlement",
            "title_de": "Jahresabrechnung: Nachzahlung oder Guthaben",
            "title_en": "Annual statement: balance to pay or credit",
            "keywords_de": "Jahresabrechnung, Nachzahlung, Guthaben, Erstattung, Abrechnung, Schlussrechnung",
            "keywords_en": "annual statement, settlement, back payment, credit, refund",
            "body_de": (
                "Mit der Jahresabrechnung vergleichen wir Ihren tatsächlichen Verbrauch mit den gezahlten "
                "Abschlägen. Haben Sie mehr verbraucht, zahlen Sie die Differenz bis zum Fälligkeitsdatum nach. "
                "Haben Sie weniger verbraucht, erstatten wir das Guthaben auf Ihr Konto oder verrechnen es mit "
                "offenen Beträgen.\n\n"
                "Gleichzeitig legen wir Ihren neuen monatlichen Abschlag fest. Sie können ihn im Portal anpassen, "
                "wenn sich Ihr Verbrauch ändert."
            ),
            "body_en": (
                "With the annual statement we compare your actual consumption with the instalments you paid. "
                "If you used more, you pay the difference by the due date. If you used less, we refund the credit "
                "to your bank account or set it against open amounts.\n\n"
                "At the same time we set your new monthly instalment. You can adjust it in the portal if your "
                "consumption changes."
            ),
        },
        {
            "category": "billing",
            "slug": "bill-too-high",
            "title_de": "Meine Rechnung ist zu hoch oder falsch",
            "title_en": "My bill is too high or wrong",
            "keywords_de": "Rechnung falsch, zu hoch, Einspruch, Widerspruch, Reklamation, Fehler, prüfen",
            "keywords_en": "bill wrong, too high, dispute, error, check bill, incorrect",
            "body_de": (
                "Prüfen Sie zuerst die Zählerstände auf der Rechnung: Stimmen sie mit Ihrem Zähler überein? "
                "Wurde ein Stand geschätzt, teilen Sie uns den tatsächlichen Stand mit; wir korrigieren die "
                "Rechnung dann.\n\n"
                "Ein höherer Verbrauch hat oft einfache Gründe: neue Geräte, mehr Personen im Haushalt, ein "
                "kalter Winter oder ein längerer Abrechnungszeitraum.\n\n"
                "Halten Sie die Rechnung für falsch, widersprechen Sie ihr über „Mit einem Menschen sprechen“. "
                "Solange wir Ihren Einwand prüfen, mahnen wir die strittige Rechnung nicht an."
            ),
            "body_en": (
                "First check the readings on the bill: do they match your meter? If a reading was estimated, send "
                "us the actual reading; we will then correct the bill.\n\n"
                "Higher consumption often has simple reasons: new appliances, more people in the household, a cold "
                "winter or a longer billing period.\n\n"
                'If you think the bill is wrong, dispute it with "Talk to a person". While we look into your '
                "objection, we send no reminders for the disputed bill."
            ),
        },
        {
            "category": "billing",
            "slug": "when-does-my-bill-come",
            "title_de": "Wann bekomme ich meine Rechnung?",
            "title_en": "When do I get my bill?",
            "keywords_de": "Rechnung wann, Abrechnungszeitraum, monatlich, vierteljährlich, jährlich, Rechnungsdatum",
            "keywords_en": "when bill, billing period, monthly, quarterly, annual, invoice date",
            "body_de": (
                "Wir rechnen nach Kalenderzeiträumen ab: monatlich nach Kalendermonaten, vierteljährlich nach "
                "Quartalen, halbjährlich oder jährlich nach dem Kalenderjahr. Die Rechnung erstellen wir kurz nach "
                "dem Ende des Zeitraums; nach einem Auszug folgt die Schlussrechnung.\n\n"
                "Wann Ihre nächste Rechnung kommt, beantwortet Ihnen der Assistent unter „Frage stellen“ direkt "
                "aus Ihren Daten. Den Abrechnungsrhythmus können Sie in Ihren Einstellungen ändern."
            ),
            "body_en": (
                "We bill by calendar periods: monthly by calendar month, quarterly by calendar quarter, half-yearly "
                "or annually by the calendar year. We make the bill shortly after the end of the period; after you "
                "move out the final bill follows.\n\n"
                'When your next bill comes, the assistant under "Ask a question" tells you straight from your '
                "data. You can change how often you are billed in your settings."
            ),
        },
        {
            "category": "meter",
            "slug": "submit-meter-reading",
            "title_de": "Zählerstand mitteilen",
            "title_en": "Submit a meter reading",
            "keywords_de": "Zählerstand melden, eingeben, übermitteln, Ablesung, Foto, Ablesekarte",
            "keywords_en": "submit reading, enter reading, send meter read, photo, reading card",
            "body_de": (
                "Ihren Zählerstand geben Sie im Portal unter „Zählerstände“ ein: für jeden Zähler und jedes "
                "Zählwerk ein Feld. Wir prüfen den Wert sofort gegen Ihren letzten Stand und Ihren üblichen "
                "Verbrauch und sagen Ihnen, ob er passt.\n\n"
                "Tragen Sie alle Ziffern vor dem Komma ein. Ein Foto des Zählers ist freiwillig, hilft uns aber, "
                "falls Fragen entstehen. Sie können auch ein Ablesedatum in der Vergangenheit angeben."
            ),
            "body_en": (
                'You enter your meter reading in the portal under "Meter readings": one field for each meter and '
                "register. We check the value at once against your last reading and your usual consumption and "
                "tell you whether it fits.\n\n"
                "Enter all digits before the decimal point. A photo of the meter is optional but helps us if "
                "questions come up. You can also give a reading date in the past."
            ),
        },
        {
            "category": "meter",
            "slug": "how-to-read-your-meter",
            "title_de": "Wie lese ich meinen Zähler ab?",
            "title_en": "How do I read my meter?",
            "keywords_de": "Zähler ablesen, Zählwerk, HT NT, Doppeltarifzähler, Gaszähler, Wasserzähler, Ziffern",
            "keywords_en": "read meter, register, peak off-peak, two-rate meter, gas meter, water meter, digits",
            "body_de": (
                "Notieren Sie die Zahl im Zählwerk von links nach rechts, ohne die Nachkommastellen (oft rot "
                "umrandet). Die Zählernummer steht auf dem Typenschild; vergleichen Sie sie mit der Nummer im "
                "Portal.\n\n"
                "Doppeltarifzähler haben zwei Zählwerke (HT für Hochtarif, NT für Niedertarif): geben Sie beide "
                "Stände an. Gaszähler zählen Kubikmeter, Wasserzähler ebenfalls. Digitale Zähler zeigen den Stand "
                "im Wechsel mit anderen Werten an; der Stand für Bezug ist mit 1.8.0 gekennzeichnet."
            ),
            "body_en": (
                "Write down the number on the register from left to right, without the decimals (often framed in "
                "red). The meter number is on the rating plate; compare it with the number in the portal.\n\n"
                "Two-rate meters have two registers (HT peak, NT off-peak): give both readings. Gas meters count "
                "cubic metres, and so do water meters. Digital meters show the reading in turn with other values; "
                "the reading for consumption is marked 1.8.0."
            ),
        },
        {
            "category": "meter",
            "slug": "estimated-readings",
            "title_de": "Warum wurde mein Zählerstand geschätzt?",
            "title_en": "Why was my meter reading estimated?",
            "keywords_de": "geschätzt, Schätzung, Hochrechnung, kein Zählerstand, Ablesung fehlt",
            "keywords_en": "estimated, estimate, no reading, missing reading",
            "body_de": (
                "Liegt uns zum Stichtag kein abgelesener Stand vor, rechnen wir zwischen zwei Ablesungen linear "
                "hoch oder schätzen den Stand aus Ihrem bisherigen Verbrauch. Auf der Rechnung ist das vermerkt.\n\n"
                "Teilen Sie uns einen aktuellen Stand mit, dann verwenden wir ihn bei der nächsten Rechnung. Ist "
                "eine Rechnung wegen einer Schätzung deutlich zu hoch, korrigieren wir sie auf Wunsch."
            ),
            "body_en": (
                "If we have no reading for the key date, we interpolate between two readings or estimate the "
                "reading from your past consumption. The bill says so.\n\n"
                "Send us a current reading and we will use it on the next bill. If a bill is clearly too high "
                "because of an estimate, we correct it on request."
            ),
        },
        {
            "category": "payments",
            "slug": "payment-methods",
            "title_de": "Wie kann ich bezahlen?",
            "title_en": "How can I pay?",
            "keywords_de": "bezahlen, Zahlungsart, Überweisung, Lastschrift, Karte, Verwendungszweck",
            "keywords_en": "pay, payment method, bank transfer, direct debit, card, reference",
            "body_de": (
                "Am einfachsten ist das SEPA-Lastschriftverfahren: Wir buchen Abschläge und Rechnungen zum "
                "Fälligkeitstag ab und kündigen jede Abbuchung vorher an. Sie können auch überweisen; geben Sie "
                "dann Ihre Kundenkontonummer und die Rechnungsnummer im Verwendungszweck an. Offene Rechnungen "
                "bezahlen Sie im Portal auch sofort mit Karte.\n\n"
                "Ihren aktuellen Kontostand und die nächste Fälligkeit zeigt Ihnen das Portal auf der Übersicht."
            ),
            "body_en": (
                "The simplest way is SEPA direct debit: we collect instalments and bills on the due date and announce "
                "each collection beforehand. You can also pay by bank transfer; then give your account number and "
                "the invoice number as the reference. You can pay open bills in the portal at once by card.\n\n"
                "The overview page of the portal shows your current balance and the next due date."
            ),
        },
        {
            "category": "payments",
            "slug": "change-instalment",
            "title_de": "Abschlag ändern",
            "title_en": "Change your monthly instalment",
            "keywords_de": "Abschlag, Abschlagszahlung, monatlich, anpassen, erhöhen, senken, Vorauszahlung",
            "keywords_en": "instalment, installment, monthly payment, budget billing, adjust, increase, reduce",
            "body_de": (
                "Ihr monatlicher Abschlag ist eine Vorauszahlung auf die Jahresabrechnung. Wir berechnen ihn aus "
                "Ihrem erwarteten Verbrauch. Ändert sich Ihr Verbrauch, zum Beispiel durch eine Wärmepumpe oder "
                "mehr Personen im Haushalt, passen Sie den Abschlag in Ihren Einstellungen an; so vermeiden Sie "
                "eine hohe Nachzahlung.\n\n"
                "Die Änderung gilt ab dem nächsten noch nicht angekündigten Abschlag."
            ),
            "body_en": (
                "Your monthly instalment is an advance payment on the annual statement. We calculate it from your "
                "expected consumption. If your consumption changes, for example because of a heat pump or more "
                "people in the household, adjust the instalment in your settings; this avoids a large back "
                "payment.\n\n"
                "The change applies from the next instalment that has not been announced yet."
            ),
        },
        {
            "category": "payments",
            "slug": "payment-difficulties",
            "title_de": "Ich kann meine Rechnung nicht bezahlen",
            "title_en": "I can't pay my bill",
            "keywords_de": "Ratenzahlung, Zahlungsschwierigkeiten, Stundung, Raten, Zahlungsaufschub, Sperre",
            "keywords_en": "payment plan, instalments, financial difficulty, defer payment, can't pay, disconnection",
            "body_de": (
                "Melden Sie sich bitte früh, bevor Mahnungen entstehen. Wir vereinbaren mit Ihnen eine "
                "Ratenzahlung oder einen Zahlungsaufschub. Während eine Ratenvereinbarung läuft und Sie die Raten "
                "zahlen, mahnen wir nicht und sperren nicht.\n\n"
                "Eine Versorgungsunterbrechung kündigen wir immer vorher schriftlich an und bieten Ihnen dabei eine "
                "Abwendungsvereinbarung an. Unterstützung bieten auch Schuldnerberatungsstellen und das Jobcenter "
                "oder Sozialamt."
            ),
            "body_en": (
                "Please contact us early, before reminders are sent. We agree a payment plan or a deferral with "
                "you. While a payment plan runs and you pay the instalments, we send no reminders and do not "
                "disconnect.\n\n"
                "We always announce an interruption of supply in writing beforehand and offer you an agreement to "
                "avoid it. Debt advice services and the job centre or social welfare office can also help."
            ),
        },
        {
            "category": "payments",
            "slug": "reminder-received",
            "title_de": "Ich habe eine Mahnung erhalten",
            "title_en": "I received a payment reminder",
            "keywords_de": "Mahnung, Zahlungserinnerung, Mahngebühr, überfällig, Verzug",
            "keywords_en": "reminder, dunning, overdue, late fee, arrears",
            "body_de": (
                "Eine Mahnung bekommen Sie, wenn ein Betrag nach dem Fälligkeitstag nicht bei uns eingegangen ist. "
                "Haben Sie inzwischen bezahlt, betrachten Sie die Mahnung als erledigt; Zahlung und Mahnung können "
                "sich überschneiden.\n\n"
                "Ist die Forderung aus Ihrer Sicht falsch, widersprechen Sie ihr: Für eine strittige Rechnung "
                "ruht das Mahnverfahren, bis wir den Fall geklärt haben."
            ),
            "body_en": (
                "You get a reminder when an amount has not reached us after its due date. If you have paid in the "
                "meantime, please ignore the reminder; payment and reminder may have crossed.\n\n"
                "If you think the amount is wrong, dispute it: reminders for a disputed bill stop until we have "
                "resolved the case."
            ),
        },
        {
            "category": "moving",
            "slug": "moving-house",
            "title_de": "Umzug: das ist zu tun",
            "title_en": "Moving home: what to do",
            "keywords_de": "Umzug, umziehen, neue Adresse, Einzug, Auszug, Vertrag mitnehmen",
            "keywords_en": "move, moving, new address, move in, move out, take contract",
            "body_de": (
                "Teilen Sie uns Ihren Umzug mindestens eine Woche vorher mit: Auszugsdatum, neue Adresse und, "
                "falls Sie dort von uns beliefert werden möchten, das Einzugsdatum. Am Umzugstag lesen Sie in der "
                "alten Wohnung alle Zähler ab und geben die Stände im Portal ein; in der neuen Wohnung ebenso.\n\n"
                "Ihren Vertrag können Sie in der Regel an die neue Adresse mitnehmen. Für die alte Wohnung "
                "erhalten Sie eine Schlussrechnung."
            ),
            "body_en": (
                "Tell us about your move at least a week ahead: the move-out date, the new address and, if you want "
                "us to supply you there, the move-in date. On the day you move, read all meters in the old home and "
                "enter the readings in the portal; do the same in the new home.\n\n"
                "You can usually take your contract to the new address. For the old home you get a final bill."
            ),
        },
        {
            "category": "moving",
            "slug": "final-bill-after-moving",
            "title_de": "Schlussrechnung nach dem Auszug",
            "title_en": "Final bill after moving out",
            "keywords_de": "Schlussrechnung, Auszug, Endabrechnung, Vertragsende",
            "keywords_en": "final bill, move out, end of contract, closing statement",
            "body_de": (
                "Nach Ihrem Auszug rechnen wir die Belieferung bis zum letzten Liefertag ab. Grundlage ist der "
                "Zählerstand am Auszugstag; fehlt er, rechnen wir zwischen zwei Ablesungen hoch oder schätzen.\n\n"
                "Ein Guthaben überweisen wir auf Ihr Bankkonto. Geben Sie uns dafür Ihre neue Anschrift und, "
                "falls sie sich ändert, Ihre Bankverbindung an."
            ),
            "body_en": (
                "After you move out we bill the supply up to the last day of supply, based on the meter reading on "
                "the move-out day; without one, we interpolate between two readings or estimate.\n\n"
                "We transfer any credit to your bank account. Please give us your new address and, if it changes, "
                "your bank details."
            ),
        },
        {
            "category": "outage",
            "slug": "outage-what-to-do",
            "title_de": "Kein Strom, Gas oder Wasser: was tun?",
            "title_en": "No power, gas or water: what to do",
            "keywords_de": "Stromausfall, Störung, kein Strom, kein Wasser, Gasausfall, Internet gestört, Notdienst",
            "keywords_en": "power cut, outage, no power, no water, gas outage, internet down, emergency",
            "body_de": (
                "Prüfen Sie zuerst Sicherungen und FI-Schalter in Ihrer Wohnung und fragen Sie Ihre Nachbarn. "
                f"Sind auch andere betroffen oder riechen Sie Gas, rufen Sie sofort unsere Störungsnummer {hotline} "
                "an, Tag und Nacht. Bei Gasgeruch: kein Licht schalten, Fenster öffnen, das Haus verlassen.\n\n"
                "Bekannte Störungen und geplante Arbeiten nennt Ihnen der Assistent im Portal."
            ),
            "body_en": (
                "First check the fuses and the residual-current switch in your home and ask your neighbours. If "
                f"others are affected too or you smell gas, call our fault line {hotline} at once, day and night. "
                "If you smell gas: do not switch lights, open the windows, leave the building.\n\n"
                "The assistant in the portal tells you about known outages and planned works."
            ),
        },
        {
            "category": "outage",
            "slug": "planned-interruptions",
            "title_de": "Geplante Unterbrechungen",
            "title_en": "Planned interruptions",
            "keywords_de": "geplante Unterbrechung, Wartung, Bauarbeiten, Abschaltung, Ankündigung",
            "keywords_en": "planned interruption, maintenance, works, shutdown, notice",
            "body_de": (
                "Für Wartung und Bauarbeiten am Netz muss die Versorgung manchmal kurz unterbrochen werden. Wir "
                "kündigen geplante Unterbrechungen rechtzeitig an, in der Regel mehrere Tage vorher, per Aushang, "
                "E-Mail oder Brief.\n\n"
                "Schalten Sie empfindliche Geräte vorher aus und ziehen Sie den Netzstecker."
            ),
            "body_en": (
                "Maintenance and works on the network sometimes need a short interruption of supply. We announce "
                "planned interruptions in good time, usually several days ahead, by notice, e-mail or letter.\n\n"
                "Switch off sensitive devices beforehand and unplug them."
            ),
        },
        {
            "category": "tariff",
            "slug": "prices-and-tariffs",
            "title_de": "Meine Preise und mein Tarif",
            "title_en": "My prices and my tariff",
            "keywords_de": "Tarif, Preis, Arbeitspreis, Grundpreis, kWh Preis, Tarifwechsel, Ökostrom",
            "keywords_en": "tariff, price, unit price, standing charge, price per kWh, change tariff, green",
            "body_de": (
                "Ihr Tarif besteht aus dem Arbeitspreis je Kilowattstunde oder Kubikmeter und dem Grundpreis pro "
                "Jahr, beim Internet aus der Monatsgebühr. Ihren aktuellen Tarif und die Preise brutto und netto "
                "nennt Ihnen der Assistent direkt.\n\n"
                "Einen anderen Tarif können Sie nach Ablauf der Mindestlaufzeit wählen. Unter „Versorgung "
                "einrichten“ sehen Sie unsere Tarife mit einer Schätzung der Jahreskosten."
            ),
            "body_en": (
                "Your tariff consists of the unit price per kilowatt hour or cubic metre and the standing charge per "
                "year, for internet of the monthly fee. The assistant tells you your current tariff and prices, "
                "gross and net.\n\n"
                'You can choose another tariff once the minimum term has run. Under "Set up supply" you find our '
                "tariffs with an estimate of the yearly cost."
            ),
        },
        {
            "category": "tariff",
            "slug": "price-change",
            "title_de": "Preisänderung und Sonderkündigungsrecht",
            "title_en": "Price changes and your right to cancel",
            "keywords_de": "Preisänderung, Preiserhöhung, Sonderkündigung, Kündigungsrecht, Preisanpassung",
            "keywords_en": "price change, price increase, special termination, right to cancel",
            "body_de": (
                f"Preisänderungen kündigen wir Ihnen mindestens {weeks} Wochen vorher an, mit den alten und neuen "
                "Preisen brutto und netto. Sie können Ihren Vertrag dann ohne Kosten zum Zeitpunkt der "
                "Preisänderung kündigen (Sonderkündigungsrecht).\n\n"
                "Geben Sie zum Stichtag der Preisänderung einen Zählerstand an, damit wir den Verbrauch genau den "
                "alten und neuen Preisen zuordnen; sonst teilen wir ihn zeitanteilig auf."
            ),
            "body_en": (
                f"We announce price changes at least {weeks} weeks ahead, with the old and new prices gross and net. "
                "You can then cancel your contract free of charge as of the date of the change (special right of "
                "termination).\n\n"
                "Give us a meter reading for the day of the change so we can assign the consumption exactly to the "
                "old and new prices; otherwise we split it in proportion to the days."
            ),
        },
        {
            "category": "tariff",
            "slug": "cancel-contract",
            "title_de": "Vertrag kündigen",
            "title_en": "Cancel your contract",
            "keywords_de": "kündigen, Kündigung, Kündigungsfrist, Mindestlaufzeit, Vertragsende, Anbieterwechsel",
            "keywords_en": "cancel, cancellation, notice period, minimum term, end contract, switch supplier",
            "body_de": (
                "Nach der Mindestlaufzeit können Sie mit der Kündigungsfrist Ihres Tarifs kündigen; beides steht in "
                "Ihrer Vertragszusammenfassung und auf jeder Rechnung. Wechseln Sie zu einem anderen Anbieter, "
                "kündigt dieser in der Regel für Sie.\n\n"
                "Bei einem Umzug endet der Vertrag für die alte Adresse mit dem Auszug, wenn Sie ihn nicht "
                "mitnehmen."
            ),
            "body_en": (
                "After the minimum term you can cancel with your tariff's notice period; both are in your contract "
                "summary and on every bill. If you switch to another supplier, they usually cancel for you.\n\n"
                "When you move, the contract for the old address ends on the day you move out unless you take it "
                "with you."
            ),
        },
        {
            "category": "bank_details",
            "slug": "bank-details-change",
            "title_de": "Bankverbindung ändern",
            "title_en": "Change your bank details",
            "keywords_de": "Bankverbindung, IBAN, Kontonummer, Bankwechsel, neue Bank, Kontodaten",
            "keywords_en": "bank details, IBAN, account number, new bank, change bank account",
            "body_de": (
                "Eine neue Bankverbindung teilen Sie uns mit IBAN und Kontoinhaber mit. Für die Lastschrift "
                "brauchen wir ein neues SEPA-Lastschriftmandat, das Sie online bestätigen. Wir prüfen die IBAN "
                "sofort.\n\n"
                f"Die Änderung gilt für die nächste Abbuchung, die noch nicht angekündigt ist; angekündigte "
                f"Abbuchungen ({prenotification} Tage vorher) laufen noch über das alte Konto. Lassen Sie das alte "
                "Konto deshalb nicht sofort schließen."
            ),
            "body_en": (
                "Send us the new bank details with the IBAN and the account holder. For direct debit we need a new "
                "SEPA direct debit mandate, which you confirm online. We check the IBAN at once.\n\n"
                f"The change applies to the next collection that has not been announced yet; announced collections "
                f"({prenotification} days ahead) still use the old account. So don't close the old account straight "
                "away."
            ),
        },
        {
            "category": "bank_details",
            "slug": "sepa-mandate",
            "title_de": "SEPA-Lastschriftmandat",
            "title_en": "SEPA direct debit mandate",
            "keywords_de": "SEPA, Lastschrift, Mandat, Einzugsermächtigung, Mandatsreferenz, Gläubiger-ID, Rückbuchung",
            "keywords_en": "SEPA, direct debit, mandate, mandate reference, creditor id, chargeback",
            "body_de": (
                "Mit dem SEPA-Lastschriftmandat erlauben Sie uns, fällige Beträge von Ihrem Konto einzuziehen. "
                f"Jede Abbuchung kündigen wir mindestens {prenotification} Tage vorher mit Betrag, Datum, "
                "Mandatsreferenz und Gläubiger-ID an.\n\n"
                "Eine Lastschrift können Sie innerhalb von acht Wochen bei Ihrer Bank zurückgeben. Geht eine "
                "Lastschrift zurück, können Bankgebühren entstehen; bitte sprechen Sie uns vorher an, wenn etwas "
                "nicht stimmt."
            ),
            "body_en": (
                "With the SEPA direct debit mandate you allow us to collect amounts due from your account. We "
                f"announce each collection at least {prenotification} days ahead with amount, date, mandate reference "
                "and creditor id.\n\n"
                "You can have a direct debit refunded by your bank within eight weeks. Returned debits may cause bank "
                "fees; please talk to us first if something is wrong."
            ),
        },
        {
            "category": "complaint",
            "slug": "complaints-and-arbitration",
            "title_de": "Beschwerden und Schlichtungsstelle",
            "title_en": "Complaints and the arbitration board",
            "keywords_de": "Beschwerde, beschweren, unzufrieden, Schlichtung, Schlichtungsstelle, Reklamation",
            "keywords_en": "complaint, complain, unhappy, arbitration, ombudsman, energy arbitration board",
            "body_de": (
                "Beschwerden nehmen wir ernst. Schreiben Sie uns über „Mit einem Menschen sprechen“; wir "
                "bestätigen den Eingang und antworten bei Strom und Gas spätestens innerhalb von vier Wochen.\n\n"
                "Helfen wir Ihrer Beschwerde nicht ab, können Sie die Schlichtungsstelle Energie e.V., "
                "Friedrichstraße 133, 10117 Berlin, www.schlichtungsstelle-energie.de, anrufen. Allgemeine "
                "Informationen gibt der Verbraucherservice der Bundesnetzagentur."
            ),
            "body_en": (
                'We take complaints seriously. Write to us with "Talk to a person"; we confirm receipt and, for '
                "electricity and gas, answer within four weeks at the latest.\n\n"
                "If we do not resolve your complaint, you can turn to the arbitration board Schlichtungsstelle "
                "Energie e.V., Friedrichstraße 133, 10117 Berlin, www.schlichtungsstelle-energie.de. The Federal "
                "Network Agency's consumer service gives general information."
            ),
        },
    ]


def faq_seed() -> int:
    """Create the categories and articles that are missing; returns how many articles were created."""
    created_count = 0
    with transaction.atomic():
        categories = {}
        for position, (slug, name_de, name_en) in enumerate(CATEGORIES):
            categories[slug], _created = FaqCategory.objects.get_or_create(
                slug=slug, defaults={"name_de": name_de, "name_en": name_en, "position": position}
            )
        for article in _articles():
            values = dict(article)
            category = categories[values.pop("category")]
            slug = values.pop("slug")
            _article, created = FaqArticle.objects.get_or_create(slug=slug, defaults={**values, "category": category})
            created_count += created
    return created_count
