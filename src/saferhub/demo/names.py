"""Names for the demo's invented population, and the ways partner systems get them wrong.

The given names carry the familiar forms people go by in Scotland (Robert is Rab to his pals and
Bob to his GP's receptionist), because a nickname in one system and the full name in another is
the commonest reason the same person is missed when records are matched.
"""

import random

# Full given name -> the familiar forms it is recorded under.
MALE_NAMES: dict[str, list[str]] = {
    "Robert": ["Rab", "Bob", "Bobby", "Robbie"],
    "William": ["Willie", "Billy", "Bill", "Wullie"],
    "James": ["Jim", "Jimmy", "Jamie"],
    "John": ["Johnny", "Jack"],
    "Alexander": ["Alex", "Alec", "Sandy", "Eck"],
    "Thomas": ["Tam", "Tom", "Tommy"],
    "David": ["Davie", "Dave", "Davy"],
    "Andrew": ["Andy", "Drew"],
    "Charles": ["Charlie", "Chic"],
    "Francis": ["Frank", "Frankie"],
    "George": ["Geordie"],
    "Hugh": ["Shug", "Hughie"],
    "Daniel": ["Danny", "Dan"],
    "Michael": ["Mick", "Mikey", "Mike"],
    "Christopher": ["Chris", "Kit"],
    "Stephen": ["Steve", "Stevie"],
    "Kenneth": ["Ken", "Kenny"],
    "Donald": ["Donnie", "Don"],
    "Edward": ["Eddie", "Ted"],
    "Joseph": ["Joe", "Joey"],
    "Anthony": ["Tony"],
    "Patrick": ["Paddy", "Pat"],
    "Richard": ["Richie", "Rick"],
    "Matthew": ["Matt"],
    "Samuel": ["Sam", "Sammy"],
    "Benjamin": ["Ben"],
    "Nicholas": ["Nick", "Nicky"],
    "Stuart": ["Stu"],
    "Lachlan": ["Lachie"],
    "Callum": [],
    "Connor": [],
    "Kyle": [],
    "Liam": [],
    "Ross": [],
    "Craig": [],
    "Scott": [],
    "Gary": [],
    "Darren": [],
    "Lewis": [],
    "Euan": [],
    "Fraser": [],
    "Jordan": [],
    "Ryan": [],
    "Iain": [],
    "Gordon": [],
    "Graham": [],
    "Mark": [],
    "Paul": [],
    "Kevin": [],
    "Brian": [],
    "Colin": [],
    "Derek": [],
    "Barry": [],
    "Logan": [],
    "Seán": [],
    "Tomasz": [],
    "Imran": [],
}
FEMALE_NAMES: dict[str, list[str]] = {
    "Elizabeth": ["Liz", "Lizzie", "Betty", "Beth"],
    "Margaret": ["Maggie", "Peggy", "Meg", "Rita"],
    "Catherine": ["Cathy", "Kate", "Katie", "Cath"],
    "Janet": ["Jessie", "Jan", "Jenny"],
    "Agnes": ["Nessie", "Senga"],
    "Helen": ["Nell", "Nellie"],
    "Christine": ["Chris", "Chrissie", "Tina"],
    "Patricia": ["Pat", "Trish", "Tricia"],
    "Jacqueline": ["Jackie", "Jacqui"],
    "Susan": ["Sue", "Susie"],
    "Deborah": ["Debbie", "Deb"],
    "Samantha": ["Sam", "Sammi"],
    "Jennifer": ["Jen", "Jenny"],
    "Rebecca": ["Becky", "Becca"],
    "Victoria": ["Vicky", "Tori"],
    "Nicola": ["Nicky", "Nikki"],
    "Stephanie": ["Steph"],
    "Kimberley": ["Kim"],
    "Angela": ["Angie"],
    "Isabella": ["Bella", "Izzy"],
    "Jessica": ["Jess"],
    "Gillian": ["Gill"],
    "Louise": ["Lou"],
    "Joanne": ["Jo"],
    "Anne": ["Annie"],
    "Danielle": ["Dani"],
    "Shannon": [],
    "Chloe": [],
    "Amy": [],
    "Emma": [],
    "Lauren": [],
    "Megan": [],
    "Eilidh": [],
    "Isla": [],
    "Erin": [],
    "Kirsty": [],
    "Gemma": [],
    "Lisa": [],
    "Karen": [],
    "Lorraine": [],
    "Fiona": [],
    "Morag": [],
    "Shona": [],
    "Caitlin": [],
    "Rhona": [],
    "Leanne": [],
    "Zoë": [],
    "Róisín": [],
    "Agnieszka": [],
    "Aisha": [],
}
FAMILY_NAMES = [
    "Smith",
    "Brown",
    "Wilson",
    "Robertson",
    "Thomson",
    "Campbell",
    "Stewart",
    "Anderson",
    "Scott",
    "Murray",
    "MacDonald",
    "Reid",
    "Taylor",
    "Clark",
    "Ross",
    "Young",
    "Mitchell",
    "Watson",
    "Paterson",
    "Morrison",
    "Fraser",
    "Walker",
    "Henderson",
    "Hamilton",
    "Miller",
    "Duncan",
    "Ferguson",
    "Kerr",
    "Graham",
    "Johnston",
    "Davidson",
    "Gray",
    "Bell",
    "Kelly",
    "Martin",
    "Cameron",
    "Hunter",
    "Grant",
    "Allan",
    "Black",
    "Mackenzie",
    "MacLeod",
    "McLean",
    "Wallace",
    "Kennedy",
    "Gibson",
    "Simpson",
    "Baxter",
    "Doig",
    "Fleming",
    "Milne",
    "Soutar",
    "Lindsay",
    "Ogilvie",
    "Guthrie",
    "Crichton",
    "Petrie",
    "Strachan",
    "Whyte",
    "Cairns",
    "Donaldson",
    "O'Neill",
    "Docherty",
    "McGregor",
    "McIntosh",
    "McKay",
    "Rennie",
    "Ritchie",
    "Duffy",
    "Boyle",
    "Gallacher",
    "Kowalski",
    "Nowak",
    "Khan",
    "Ahmed",
    "Singh",
    "Smith-Reid",
]
# Common family names take a bigger share, as they do in any Scottish city.
FAMILY_WEIGHTS = [max(1, 12 - index // 4) for index in range(len(FAMILY_NAMES))]

# The same family name as different systems spell it.
SPELLINGS: dict[str, list[str]] = {
    "MacDonald": ["McDonald", "Macdonald"],
    "MacLeod": ["McLeod", "Macleod"],
    "Mackenzie": ["McKenzie", "MacKenzie"],
    "McLean": ["MacLean", "Maclean"],
    "McGregor": ["MacGregor"],
    "McIntosh": ["Mackintosh", "MacIntosh"],
    "McKay": ["Mackay", "MacKay"],
    "O'Neill": ["ONeill", "O Neill", "O'Neil"],
    "Gallacher": ["Gallagher"],
    "Thomson": ["Thompson"],
    "Whyte": ["White"],
    "Smith-Reid": ["Smith Reid", "Reid"],
    "Kowalski": ["Kowalsky"],
}
# Letters next to each other on a keyboard: the usual slip of a finger.
_NEIGHBOURS = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "y": "tu",
}


def nicknames_of(given: str) -> list[str]:
    return MALE_NAMES.get(given) or FEMALE_NAMES.get(given) or []


def typo(rng: random.Random, name: str) -> str:
    """The name with one slip: a letter doubled, dropped, swapped with the next or hit beside.

    The first letter is left alone (people rarely get that wrong), so the result is always one
    edit away and never the name itself."""
    if len(name) < 3:
        return name + name[-1]
    for _ in range(10):
        position = rng.randint(1, len(name) - 1)
        kind = rng.choice(["double", "drop", "swap", "neighbour"])
        letter = name[position]
        if kind == "double":
            result = name[:position] + letter + name[position:]
        elif kind == "drop" and len(name) > 3:
            result = name[:position] + name[position + 1 :]
        elif kind == "swap" and position < len(name) - 1:
            result = name[:position] + name[position + 1] + letter + name[position + 2 :]
        elif kind == "neighbour" and letter.lower() in _NEIGHBOURS:
            result = (
                name[:position] + rng.choice(_NEIGHBOURS[letter.lower()]) + name[position + 1 :]
            )
        else:
            continue
        if result != name:
            return result
    return name[:-1] + ("e" if name[-1] != "e" else "a")
