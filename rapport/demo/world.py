"""People and places for demo data: names of several cultures, phones, email domains and carriers.

Email addresses use only domains reserved for examples (RFC 2606: example.com/.net/.org and the
.example top-level domain), so no demo message can ever reach a real person.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class Culture:
    country: str
    language: str
    time_zones: tuple[str, ...]
    weight: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    carriers: tuple[str, ...]


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


CULTURES: tuple[Culture, ...] = (
    Culture(
        "PT",
        "pt-PT",
        ("Europe/Lisbon",),
        14,
        _names(
            "João, Rodrigo, Francisco, Martim, Santiago, Tomás, Afonso, Duarte, Miguel, Diogo, "
            "Maria, Leonor, Matilde, Beatriz, Carolina, Inês, Mariana, Ana, Rita, Sofia"
        ),
        _names(
            "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Jesus, Sousa, "
            "Fernandes, Gonçalves, Gomes, Lopes, Marques, Alves, Almeida, Ribeiro, Pinto, Carvalho"
        ),
        ("CTT", "DPD", "SEUR"),
    ),
    Culture(
        "ES",
        "es",
        ("Europe/Madrid", "Atlantic/Canary"),
        12,
        _names(
            "Hugo, Martín, Lucas, Mateo, Leo, Daniel, Alejandro, Pablo, Javier, Álvaro, "
            "Lucía, Sofía, Martina, María, Julia, Paula, Valeria, Carmen, Elena, Irene"
        ),
        _names(
            "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Martín, "
            "Jiménez, Ruiz, Hernández, Díaz, Moreno, Álvarez, Muñoz, Romero, Navarro, Torres"
        ),
        ("Correos", "SEUR", "GLS"),
    ),
    Culture(
        "DE",
        "de",
        ("Europe/Berlin",),
        12,
        _names(
            "Lukas, Leon, Finn, Jonas, Paul, Felix, Maximilian, Elias, Tobias, Jan, "
            "Emma, Mia, Hannah, Lea, Lena, Anna, Marie, Sophie, Johanna, Katharina"
        ),
        _names(
            "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, "
            "Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann"
        ),
        ("DHL", "Hermes", "DPD"),
    ),
    Culture(
        "FR",
        "fr",
        ("Europe/Paris",),
        10,
        _names(
            "Gabriel, Louis, Raphaël, Jules, Adam, Lucas, Léo, Hugo, Arthur, Mathis, "
            "Jade, Louise, Emma, Alice, Chloé, Léa, Manon, Camille, Inès, Juliette"
        ),
        _names(
            "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, "
            "Simon, Laurent, Lefebvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier"
        ),
        ("Colissimo", "Chronopost", "DPD"),
    ),
    Culture(
        "GB",
        "en-GB",
        ("Europe/London",),
        10,
        _names(
            "Oliver, George, Harry, Jack, Charlie, Thomas, James, William, Daniel, Alfie, "
            "Amelia, Olivia, Isla, Emily, Poppy, Ava, Isabella, Jessica, Sophie, Grace"
        ),
        _names(
            "Smith, Jones, Taylor, Brown, Williams, Wilson, Johnson, Davies, Robinson, Wright, "
            "Thompson, Evans, Walker, White, Roberts, Green, Hall, Wood, Jackson, Clarke"
        ),
        ("Royal Mail", "DPD", "Evri"),
    ),
    Culture(
        "IT",
        "it",
        ("Europe/Rome",),
        8,
        _names(
            "Leonardo, Francesco, Alessandro, Lorenzo, Mattia, Andrea, Gabriele, Tommaso, Marco, Luca, "
            "Sofia, Giulia, Aurora, Alice, Ginevra, Emma, Giorgia, Beatrice, Chiara, Federica"
        ),
        _names(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, "
            "Bruno, Gallo, Conti, De Luca, Mancini, Costa, Giordano, Rizzo, Lombardi, Moretti"
        ),
        ("Poste Italiane", "BRT", "GLS"),
    ),
    Culture(
        "NL",
        "nl",
        ("Europe/Amsterdam",),
        7,
        _names(
            "Daan, Sem, Lucas, Levi, Finn, Milan, Bram, Luuk, Thijs, Jesse, "
            "Emma, Julia, Tess, Sophie, Zoë, Mila, Sara, Fenna, Anouk, Noor"
        ),
        _names(
            "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, "
            "de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, Brouwer"
        ),
        ("PostNL", "DHL", "DPD"),
    ),
    Culture(
        "US",
        "en-US",
        ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
        6,
        _names(
            "Liam, Noah, Ethan, Mason, Logan, Elijah, Aiden, Tyler, Caleb, Wyatt, "
            "Emma, Ava, Madison, Abigail, Chloe, Harper, Ella, Avery, Brianna, Zoe"
        ),
        _names(
            "Miller, Davis, Garcia, Rodriguez, Martinez, Anderson, Thomas, Moore, Martin, Lee, "
            "Harris, Clark, Lewis, Young, Allen, King, Scott, Hill, Baker, Nelson"
        ),
        ("UPS", "USPS", "FedEx"),
    ),
    Culture(
        "PL",
        "pl",
        ("Europe/Warsaw",),
        5,
        _names(
            "Antoni, Jan, Jakub, Aleksander, Franciszek, Szymon, Filip, Mikołaj, Piotr, Tomasz, "
            "Zuzanna, Julia, Zofia, Hanna, Maja, Lena, Alicja, Oliwia, Wiktoria, Katarzyna"
        ),
        _names(
            "Nowak, Wójcik, Kowalczyk, Woźniak, Mazur, Krawczyk, Kaczmarek, Zając, Król, Wieczorek, "
            "Jabłoński, Wróbel, Dudek, Adamczyk, Pawlak, Walczak, Sikora, Baran, Rutkowski, Michalak"
        ),
        ("InPost", "Poczta Polska", "DPD"),
    ),
    Culture(
        "BR",
        "pt-BR",
        ("America/Sao_Paulo", "America/Recife"),
        5,
        _names(
            "Miguel, Arthur, Heitor, Bernardo, Davi, Gabriel, Pedro, Enzo, Thiago, Rafael, "
            "Alice, Helena, Laura, Valentina, Heloísa, Manuela, Júlia, Lívia, Larissa, Camila"
        ),
        _names(
            "da Silva, dos Santos, Oliveira, Souza, Lima, Pereira, Ferreira, Alves, Rodrigues, Carvalho, "
            "Gomes, Ribeiro, Barbosa, Araújo, Cardoso, Nascimento, Rocha, Moura, Teixeira, Correia"
        ),
        ("Correios", "Jadlog"),
    ),
    Culture(
        "SE",
        "sv",
        ("Europe/Stockholm",),
        4,
        _names(
            "William, Liam, Noah, Hugo, Lucas, Oliver, Elias, Erik, Nils, Axel, "
            "Alice, Maja, Elsa, Astrid, Wilma, Freja, Saga, Ebba, Linnea, Ingrid"
        ),
        _names(
            "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, "
            "Gustafsson, Pettersson, Jonsson, Jansson, Hansson, Bengtsson, Lindberg, Lindström, "
            "Lindqvist, Berg, Axelsson"
        ),
        ("PostNord", "DHL"),
    ),
    Culture(
        "IN",
        "en-IN",
        ("Asia/Kolkata",),
        3,
        _names(
            "Aarav, Vivaan, Aditya, Arjun, Sai, Reyansh, Krishna, Ishaan, Rohan, Vikram, "
            "Ananya, Diya, Aadhya, Saanvi, Pari, Priya, Kavya, Meera, Neha, Pooja"
        ),
        _names(
            "Sharma, Verma, Gupta, Patel, Singh, Kumar, Reddy, Nair, Iyer, Das, "
            "Bose, Mehta, Joshi, Rao, Chopra, Kapoor, Malhotra, Pillai, Banerjee, Agarwal"
        ),
        ("Blue Dart", "India Post", "DHL"),
    ),
    Culture(
        "NG",
        "en-NG",
        ("Africa/Lagos",),
        2,
        _names(
            "Chinedu, Emeka, Tunde, Oluwaseun, Ifeanyi, Segun, Obinna, Babajide, Kelechi, Temitope, "
            "Ngozi, Chiamaka, Adaeze, Funmilayo, Aisha, Zainab, Folake, Amaka, Yetunde, Halima"
        ),
        _names(
            "Okafor, Adeyemi, Okonkwo, Balogun, Eze, Nwosu, Adebayo, Ogunleye, Ibrahim, Bello, "
            "Abubakar, Okeke, Olawale, Nnamdi, Adewale, Chukwu, Obi, Afolabi, Onyeka, Lawal"
        ),
        ("DHL", "GIG Logistics"),
    ),
    Culture(
        "JP",
        "ja",
        ("Asia/Tokyo",),
        2,
        _names(
            "Haruto, Sota, Yuto, Riku, Ren, Kenji, Takumi, Daiki, Kaito, Hinata, "
            "Yui, Sakura, Hina, Yuna, Aoi, Mei, Rin, Akiko, Yuki, Emi"
        ),
        _names(
            "Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi, Kato, "
            "Yoshida, Yamada, Sasaki, Yamaguchi, Matsumoto, Inoue, Kimura, Hayashi, Shimizu, Mori"
        ),
        ("Yamato", "Japan Post"),
    ),
)
CULTURE_WEIGHTS = tuple(culture.weight for culture in CULTURES)

EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "post.example", "inbox.example")
WORK_DOMAINS = ("northwind.example", "globex.example", "initech.example", "acme.example", "umbrella.example")
SOCIAL_PLATFORMS = (
    "instagram",
    "instagram",
    "twitter",
    "tiktok",
    "facebook",
    "bluesky",
    "mastodon",
    "linkedin",
)

# US numbers in the 555-0100 to 555-0199 block are reserved for fiction; elsewhere a valid mobile
# number is drawn at random (phonenumbers checks it).
US_AREA_CODES = (
    201, 202, 206, 212, 213, 214, 215, 248, 303, 305, 310, 312, 313, 314, 347, 404, 407, 412, 415, 469,
    503, 504, 512, 602, 614, 615, 617, 646, 651, 678, 702, 704, 713, 718, 720, 727, 732, 773, 786, 801,
    808, 813, 816, 818, 847, 858, 901, 904, 914, 917, 949, 971,
)  # fmt: skip


_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def ascii_fold(text: str) -> str:
    """'Zoë Müller-Łoś' -> 'zoe muller-los': for addresses and handles."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        .encode("ascii", "ignore")
        .decode()
        .lower()
    )


class PhoneMaker:
    """Valid E.164 mobile numbers per country, each handed out once."""

    def __init__(self) -> None:
        self.templates: dict[str, tuple[int, str]] = {}
        self.used: set[str] = set()

    def _template(self, country: str) -> tuple[int, str]:
        if country not in self.templates:
            example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
            assert example is not None
            assert example.country_code is not None
            self.templates[country] = (example.country_code, str(example.national_number))
        return self.templates[country]

    def make(self, country: str, rng: random.Random) -> str | None:
        for _ in range(60):
            if country == "US":
                number = f"+1{rng.choice(US_AREA_CODES)}5550{rng.randrange(100, 200)}"
            else:
                code, national = self._template(country)
                # Keep the start of a mobile number (area code and mobile digit in Brazil), draw the rest.
                keep = 3 if country == "BR" else 1
                digits = national[:keep] + _digits(rng, len(national) - keep)
                parsed = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits))
                if phonenumbers.number_type(parsed) not in _MOBILE:
                    continue
                number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if number not in self.used:
                self.used.add(number)
                return number
        return None


def s10_tracking(rng: random.Random, country: str) -> str:
    """A UPU S10 item number (as used by postal services): 2 letters, 8 digits, check digit, country."""
    serial = [int(digit) for digit in _digits(rng, 8)]
    check = 11 - sum(d * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    service = rng.choice(("RR", "RA", "LX", "CP", "EE"))
    return f"{service}{''.join(map(str, serial))}{check}{country}"


def _digits(rng: random.Random, count: int) -> str:
    return f"{rng.randrange(10**count):0{count}d}"


def tracking_number(carrier: str, country: str, rng: random.Random) -> str:
    """A tracking number in the carrier's usual shape."""
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if carrier == "USPS":
        return "9400" + _digits(rng, 18)
    if carrier == "FedEx":
        return _digits(rng, 12)
    if carrier in ("DHL", "Yamato", "Blue Dart"):
        return _digits(rng, 10 if carrier == "DHL" else 12 if carrier == "Yamato" else 11)
    if carrier in ("DPD", "Hermes", "GLS", "BRT", "SEUR", "Jadlog", "GIG Logistics"):
        return _digits(rng, 14)
    if carrier == "Evri":
        return "H" + _digits(rng, 15)
    if carrier == "PostNL":
        return "3S" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + _digits(rng, 9)
    if carrier == "InPost":
        return _digits(rng, 24)
    if carrier == "Colissimo":
        return "6A" + _digits(rng, 11)
    return s10_tracking(rng, country)
