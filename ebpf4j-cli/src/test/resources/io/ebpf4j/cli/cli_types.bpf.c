// Types only, no headers: 'btf dump file cli_types.bpf.o format c' is compared with an expected header.
typedef unsigned int u32;

enum mode {
	MODE_OFF,
	MODE_ON = 5,
};

struct node;

struct point {
	int x;
	int y;
};

struct shape {
	enum mode mode;
	u32 flags: 3;
	u32 kind: 5;
	struct point corners[2];
	struct node *next;
	union {
		int i;
		float f;
	} u;
	int (*area)(const struct shape *);
	char name[2][4];
};

struct shape shapes[1] __attribute__((section(".data"), used));
