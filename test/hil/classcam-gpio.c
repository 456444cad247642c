// SPDX-License-Identifier: GPL-2.0
/*
 * classcam-gpio: a GPIO chip with nothing behind it, for the HIL rig
 * (test/hil/rig.ts builds it against the guest kernel's headers). Debian's
 * kernels build neither gpio-mockup nor gpio-sim, and the device daemon's
 * linux backend wants real sysfs GPIO with edge interrupts for its button.
 *
 * The chip carries the label of a Raspberry Pi's pin controller by default
 * (module parameter `label`), so the daemon finds it as it would on a Pi.
 * Each line has a file /sys/kernel/debug/classcam-gpio/<line>:
 *   - writing 1 or 0 sets the level an input line sees (a button pressed or
 *     released), raising the line's interrupt on the matching edge;
 *   - reading gives the line's level: what it drives when it is an output
 *     (the lamp), what it sees when it is an input.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gpio/driver.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#define CLASSCAM_GPIO_MAX_LINES 64

static char *label = "pinctrl-bcm2835";
module_param(label, charp, 0444);
MODULE_PARM_DESC(label, "the chip's label");

static unsigned int lines = 54;
module_param(lines, uint, 0444);
MODULE_PARM_DESC(lines, "how many lines the chip has (at most 64)");

struct classcam_line {
	bool output;
	bool driven; /* the level an output drives */
	bool seen; /* the level an input sees */
	bool irq_enabled;
	unsigned int irq_type;
};

struct classcam_gpio {
	struct gpio_chip chip;
	spinlock_t lock;
	struct classcam_line line[CLASSCAM_GPIO_MAX_LINES];
	struct platform_device *pdev;
	struct dentry *debugfs;
};

static struct classcam_gpio *gpio;

static int level_of(const struct classcam_line *line)
{
	return line->output ? line->driven : line->seen;
}

static int classcam_get(struct gpio_chip *chip, unsigned int offset)
{
	struct classcam_gpio *g = gpiochip_get_data(chip);
	unsigned long flags;
	int level;

	spin_lock_irqsave(&g->lock, flags);
	level = level_of(&g->line[offset]);
	spin_unlock_irqrestore(&g->lock, flags);
	return level;
}

static void classcam_set(struct gpio_chip *chip, unsigned int offset, int value)
{
	struct classcam_gpio *g = gpiochip_get_data(chip);
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	g->line[offset].driven = !!value;
	spin_unlock_irqrestore(&g->lock, flags);
}

static int classcam_get_direction(struct gpio_chip *chip, unsigned int offset)
{
	struct classcam_gpio *g = gpiochip_get_data(chip);

	return g->line[offset].output ? GPIO_LINE_DIRECTION_OUT : GPIO_LINE_DIRECTION_IN;
}

static int classcam_direction_input(struct gpio_chip *chip, unsigned int offset)
{
	struct classcam_gpio *g = gpiochip_get_data(chip);
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	g->line[offset].output = false;
	spin_unlock_irqrestore(&g->lock, flags);
	return 0;
}

static int classcam_direction_output(struct gpio_chip *chip, unsigned int offset, int value)
{
	struct classcam_gpio *g = gpiochip_get_data(chip);
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	g->line[offset].output = true;
	g->line[offset].driven = !!value;
	spin_unlock_irqrestore(&g->lock, flags);
	return 0;
}

static void classcam_irq_mask(struct irq_data *data)
{
	struct gpio_chip *chip = irq_data_get_irq_chip_data(data);
	struct classcam_gpio *g = gpiochip_get_data(chip);
	irq_hw_number_t offset = irqd_to_hwirq(data);

	g->line[offset].irq_enabled = false;
	gpiochip_disable_irq(chip, offset);
}

static void classcam_irq_unmask(struct irq_data *data)
{
	struct gpio_chip *chip = irq_data_get_irq_chip_data(data);
	struct classcam_gpio *g = gpiochip_get_data(chip);
	irq_hw_number_t offset = irqd_to_hwirq(data);

	gpiochip_enable_irq(chip, offset);
	g->line[offset].irq_enabled = true;
}

static int classcam_irq_set_type(struct irq_data *data, unsigned int type)
{
	struct gpio_chip *chip = irq_data_get_irq_chip_data(data);
	struct classcam_gpio *g = gpiochip_get_data(chip);

	if (type & IRQ_TYPE_LEVEL_MASK)
		return -EINVAL; /* edges only, which is what sysfs GPIO asks for */
	g->line[irqd_to_hwirq(data)].irq_type = type;
	return 0;
}

static const struct irq_chip classcam_irq_chip = {
	.name = "classcam-gpio",
	.irq_mask = classcam_irq_mask,
	.irq_unmask = classcam_irq_unmask,
	.irq_set_type = classcam_irq_set_type,
	.flags = IRQCHIP_IMMUTABLE | IRQCHIP_SKIP_SET_WAKE,
	GPIOCHIP_IRQ_RESOURCE_HELPERS,
};

static ssize_t line_read(struct file *file, char __user *buffer, size_t length, loff_t *position)
{
	unsigned int offset = (uintptr_t)file->private_data;
	char text[3];

	snprintf(text, sizeof(text), "%d\n", classcam_get(&gpio->chip, offset));
	return simple_read_from_buffer(buffer, length, position, text, 2);
}

static ssize_t line_write(struct file *file, const char __user *buffer, size_t length,
			  loff_t *position)
{
	unsigned int offset = (uintptr_t)file->private_data;
	struct classcam_line *line = &gpio->line[offset];
	unsigned long flags;
	bool edge = false;
	int value;
	int error;

	error = kstrtoint_from_user(buffer, length, 0, &value);
	if (error)
		return error;
	if (value != 0 && value != 1)
		return -EINVAL;

	spin_lock_irqsave(&gpio->lock, flags);
	if (!line->output && line->irq_enabled && line->seen != value)
		edge = value ? line->irq_type & IRQ_TYPE_EDGE_RISING
			     : line->irq_type & IRQ_TYPE_EDGE_FALLING;
	line->seen = value;
	spin_unlock_irqrestore(&gpio->lock, flags);

	if (edge)
		generic_handle_domain_irq_safe(gpio->chip.irq.domain, offset);
	return length;
}

static const struct file_operations line_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = line_read,
	.write = line_write,
	.llseek = default_llseek,
};

static int __init classcam_gpio_init(void)
{
	struct gpio_irq_chip *irq;
	unsigned int offset;
	int error;

	if (lines == 0 || lines > CLASSCAM_GPIO_MAX_LINES)
		return -EINVAL;
	gpio = kzalloc(sizeof(*gpio), GFP_KERNEL);
	if (!gpio)
		return -ENOMEM;
	spin_lock_init(&gpio->lock);

	gpio->pdev = platform_device_register_simple("classcam-gpio", PLATFORM_DEVID_NONE, NULL, 0);
	if (IS_ERR(gpio->pdev)) {
		error = PTR_ERR(gpio->pdev);
		goto free;
	}

	gpio->chip.label = label;
	gpio->chip.parent = &gpio->pdev->dev;
	gpio->chip.owner = THIS_MODULE;
	gpio->chip.base = -1;
	gpio->chip.ngpio = lines;
	gpio->chip.can_sleep = false;
	gpio->chip.get = classcam_get;
	gpio->chip.set = classcam_set;
	gpio->chip.get_direction = classcam_get_direction;
	gpio->chip.direction_input = classcam_direction_input;
	gpio->chip.direction_output = classcam_direction_output;

	irq = &gpio->chip.irq;
	gpio_irq_chip_set_chip(irq, &classcam_irq_chip);
	irq->handler = handle_simple_irq;
	irq->default_type = IRQ_TYPE_NONE;

	error = gpiochip_add_data(&gpio->chip, gpio);
	if (error)
		goto unregister;

	gpio->debugfs = debugfs_create_dir("classcam-gpio", NULL);
	for (offset = 0; offset < lines; offset++) {
		char name[8];

		snprintf(name, sizeof(name), "%u", offset);
		debugfs_create_file(name, 0600, gpio->debugfs, (void *)(uintptr_t)offset, &line_fops);
	}
	return 0;

unregister:
	platform_device_unregister(gpio->pdev);
free:
	kfree(gpio);
	return error;
}

static void __exit classcam_gpio_exit(void)
{
	debugfs_remove_recursive(gpio->debugfs);
	gpiochip_remove(&gpio->chip);
	platform_device_unregister(gpio->pdev);
	kfree(gpio);
}

module_init(classcam_gpio_init);
module_exit(classcam_gpio_exit);
MODULE_DESCRIPTION("A GPIO chip with nothing behind it, driven through debugfs, for classcam's HIL rig");
MODULE_LICENSE("GPL");
